//! The generators and discriminators of the reference's three GANs (docs/models.md, "DCGAN,
//! MNIST", "DCGAN, polynomial images", "WGAN"). The widths are parameters so that a live
//! preset can run narrower copies of the same architecture; the paper presets use the
//! reference's widths.
//!
//! Keras "same" padding is reproduced by size: a k x k convolution with stride s pads
//! (k - 1) / 2 on every side, which gives ceil(n / s) like Keras (40 -> 20 -> 10, 11 -> 6,
//! 28 -> 14 -> 7); a stride-2 transposed convolution adds one row and column of output
//! padding so that it doubles the size exactly (7 -> 14 -> 28).

use burn::module::{Initializer, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::tanh;
use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::{ConvTransposeOptions, PadMode};

use super::dropout::dropout;
use super::{Footprint, dense, macs};

/// Keras BatchNormalization(momentum=0.8): running = 0.8 running + 0.2 batch. burn's
/// momentum is the weight of the new batch.
const BN_MOMENTUM: f64 = 0.2;
/// Keras' BatchNormalization epsilon (burn's default is 1e-5).
const BN_EPSILON: f64 = 1e-3;
const LEAKY_SLOPE: f64 = 0.2;
const DROPOUT: f64 = 0.25;

/// Keras' default kernel initialiser for Dense, Conv2D and Conv2DTranspose.
const GLOROT: Initializer = Initializer::XavierUniform { gain: 1.0 };

fn batch_norm(features: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(features).with_momentum(BN_MOMENTUM).with_epsilon(BN_EPSILON).init(device)
}

/// Conv2D "same" with Keras' initialisation (Glorot weights, zero bias).
pub(super) fn conv(channels: [usize; 2], kernel: usize, stride: usize, device: &Device) -> Conv2d {
    let pad = (kernel - 1) / 2;
    let conv = Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_initializer(GLOROT)
        .with_bias(false)
        .init(device);
    Conv2d { bias: Some(Param::from_tensor(Tensor::zeros([channels[1]], device))), ..conv }
}

/// Conv2DTranspose "same", without bias (every one in the reference is followed by BN or tanh
/// and declared `use_bias=False`), Glorot-uniform like Keras. burn's initialiser gets no fan-out
/// for transposed convolutions, so the weights are drawn here: Keras' fans are
/// k * k * channels on each side, and the sum is what matters.
fn deconv(channels: [usize; 2], kernel: usize, stride: usize, device: &Device) -> ConvTranspose2d {
    let pad = (kernel - 1) / 2;
    let layer = ConvTranspose2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding([pad, pad])
        .with_padding_out([stride - 1, stride - 1])
        .with_bias(false)
        .init(device);
    let limit = (6.0 / ((channels[0] + channels[1]) * kernel * kernel) as f64).sqrt();
    let weight = Tensor::random(layer.weight.shape(), Distribution::Uniform(-limit, limit), device);
    ConvTranspose2d { weight: Param::from_tensor(weight), ..layer }
}

/// Nearest 2x upsampling followed by `layer`, a 3x3 stride-1 "same" transposed convolution,
/// computed as one stride-2 transposed convolution of the input before the upsampling. Each
/// input pixel becomes a 2x2 block that the 3x3 kernel then sweeps, so together they spread
/// the pixel through the 4x4 kernel K * box(2x2) (K4[m] = K[m] + K[m - 1] along each axis),
/// and padding 1 keeps the size at exactly twice the input's. The same function of the same
/// weights, with 16 multiply-adds per input pixel and channel pair where the upsampled image
/// took 4 x 9 = 36, and no upsampled copy to make and to take the gradient back through.
fn upsample_deconv(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let k = layer.weight.val();
    let k = k.clone().pad((0, 1, 0, 0), PadMode::Constant(0.0)) + k.pad((1, 0, 0, 0), PadMode::Constant(0.0));
    let k = k.clone().pad((0, 0, 0, 1), PadMode::Constant(0.0)) + k.pad((0, 0, 1, 0), PadMode::Constant(0.0));
    conv_transpose2d(x, k, None, ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1))
}

fn dense_no_bias(d_input: usize, d_output: usize, device: &Device) -> Linear {
    LinearConfig::new(d_input, d_output).with_initializer(GLOROT).with_bias(false).init(device)
}

/// LeakyReLU(0.2), written as x times a factor (1 where x > 0, 0.2 elsewhere) made from x's
/// sign outside the autodiff graph (a constant of the product): the same values as burn's
/// `leaky_relu`, whose backward pass builds two masked copies of the gradient where this one
/// multiplies once. burn-flex's `mask_where` was 8 % of the live WGAN's step in the page, and
/// the autodiff backend's own `clamp_min` is a masked fill too, hence the plain tensor.
fn act<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let factor = x.clone().without_autodiff().sign().clamp_min(LEAKY_SLOPE);
    x * factor
}

/// A generator: noise [batch, noise] -> images [batch, 1, side, side] in [-1, 1] (tanh).
pub trait Generator: Module + Sized {
    fn noise_dim(&self) -> usize;
    fn forward(&self, noise: Tensor<2>) -> Tensor<4>;
    /// Multiply-adds of one image's forward pass (see [`macs`]).
    fn macs(&self) -> u64;
}

/// A discriminator or critic: images -> one score per image, [batch]. For the DCGANs the
/// score is the logit before the reference's sigmoid (the loss applies the sigmoid in a
/// numerically stable way); for the WGAN it is the critic's linear score.
pub trait Critic: Module + Sized {
    fn forward(&self, images: Tensor<4>) -> Tensor<1>;
    /// Multiply-adds of one image's forward pass (see [`macs`]).
    fn macs(&self) -> u64;
}

/// Both generators' first stage: Dense noise -> channels x side x side (no bias), BN over
/// the flat features (Keras normalises the Dense output per feature, before the reshape),
/// LeakyReLU, reshape to a feature map.
#[derive(Module, Debug)]
pub struct NoiseStem {
    fc: Linear,
    bn: BatchNorm,
    noise: usize,
    channels: usize,
    side: usize,
}

impl NoiseStem {
    fn new(noise: usize, channels: usize, side: usize, device: &Device) -> Self {
        let features = channels * side * side;
        NoiseStem { fc: dense_no_bias(noise, features, device), bn: batch_norm(features, device), noise, channels, side }
    }

    /// [batch, noise] -> [batch, channels, side, side]
    fn forward(&self, noise: Tensor<2>) -> Tensor<4> {
        let [batch, _] = noise.dims();
        let h = act(self.bn.forward(self.fc.forward(noise)));
        h.reshape([batch, self.channels, self.side, self.side])
    }
}

/// Both generators: the noise stem, two transposed-convolution stages with batch norm and
/// LeakyReLU, and a last transposed convolution with tanh. The polynomial generator upsamples
/// before each of its two stages (see [`upsample_deconv`]); the MNIST one strides instead.
#[derive(Module, Debug)]
pub struct ConvGenerator {
    stem: NoiseStem,
    deconv1: ConvTranspose2d,
    bn1: BatchNorm,
    deconv2: ConvTranspose2d,
    bn2: BatchNorm,
    deconv3: ConvTranspose2d,
    upsample: bool,
}

impl ConvGenerator {
    /// `channels`: after the stem and after each stage; `strides`: of the three transposed
    /// convolutions.
    fn new(noise: usize, side: usize, channels: [usize; 3], kernel: usize, strides: [usize; 3], upsample: bool, device: &Device) -> Self {
        let [c0, c1, c2] = channels;
        ConvGenerator {
            stem: NoiseStem::new(noise, c0, side, device),
            deconv1: deconv([c0, c1], kernel, strides[0], device),
            bn1: batch_norm(c1, device),
            deconv2: deconv([c1, c2], kernel, strides[1], device),
            bn2: batch_norm(c2, device),
            deconv3: deconv([c2, 1], kernel, strides[2], device),
            upsample,
        }
    }

    fn stage(&self, layer: &ConvTranspose2d, h: Tensor<4>) -> Tensor<4> {
        if self.upsample { upsample_deconv(layer, h) } else { layer.forward(h) }
    }
}

impl Generator for ConvGenerator {
    fn noise_dim(&self) -> usize {
        self.stem.noise
    }

    fn forward(&self, noise: Tensor<2>) -> Tensor<4> {
        let h = self.stem.forward(noise);
        let h = act(self.bn1.forward(self.stage(&self.deconv1, h)));
        let h = act(self.bn2.forward(self.stage(&self.deconv2, h)));
        tanh(self.deconv3.forward(h))
    }

    fn macs(&self) -> u64 {
        // Transposed convolutions count their input pixels. An upsampling stage is counted as
        // computed: a 4x4 kernel, 16 / 9 of the 3x3 weights, over its input before upsampling.
        let mut side = self.stem.side;
        let mut staged = 0;
        for layer in [&self.deconv1, &self.deconv2] {
            staged += macs(&layer.weight, side * side);
            side *= if self.upsample { 2 } else { layer.stride[0] };
        }
        let staged = if self.upsample { staged * 16 / 9 } else { staged };
        macs(&self.stem.fc.weight, 1) + staged + macs(&self.deconv3.weight, side * side)
    }
}

// ---------------------------------------------------------------------------------------
// DCGAN on MNIST

#[derive(Config, Debug)]
pub struct MnistGeneratorConfig {
    #[config(default = 100)]
    pub noise: usize,
    /// Channels after the first Dense (256 in the reference); the next layers have half and
    /// a quarter of it.
    #[config(default = 256)]
    pub channels: usize,
}

impl MnistGeneratorConfig {
    /// One image's footprint in a training step.
    pub fn footprint(&self) -> Footprint {
        let c = self.channels as u64;
        Footprint::conv(&[c * 49, c / 2 * 49, c / 4 * 196], 2 * 784, 784)
    }

    /// 7x7 -> 7x7 -> 14x14 -> 28x28, with 5x5 kernels.
    pub fn init(&self, device: &Device) -> ConvGenerator {
        let c = self.channels;
        ConvGenerator::new(self.noise, 7, [c, c / 2, c / 4], 5, [1, 2, 2], false, device)
    }
}

#[derive(Config, Debug)]
pub struct MnistDiscriminatorConfig {
    /// Channels of the first convolution (64 in the reference); the second has twice as many.
    #[config(default = 64)]
    pub channels: usize,
    /// Batch norm after the second convolution in place of the reference's dropout, as the
    /// DCGAN paper's discriminators have it (Radford et al. 2016: batch norm in every layer
    /// but the first) and as the reference's own polynomial discriminator does.
    #[config(default = false)]
    pub batch_norm: bool,
}

#[derive(Module, Debug)]
pub struct MnistDiscriminator {
    conv1: Conv2d,
    conv2: Conv2d,
    /// The reference's regulariser, after both convolutions; `None` with batch norm.
    dropout: Option<Dropout>,
    bn: Option<BatchNorm>,
    out: Linear,
}

impl MnistDiscriminatorConfig {
    /// One image's footprint in a training step.
    pub fn footprint(&self) -> Footprint {
        let c = self.channels as u64;
        Footprint::conv(&[c * 196, 2 * c * 49], 784, 784)
    }

    pub fn init(&self, device: &Device) -> MnistDiscriminator {
        let c = self.channels;
        MnistDiscriminator {
            conv1: conv([1, c], 5, 2, device),
            conv2: conv([c, 2 * c], 5, 2, device),
            dropout: (!self.batch_norm).then(|| DropoutConfig::new(DROPOUT).init()),
            bn: self.batch_norm.then(|| batch_norm(2 * c, device)),
            out: dense(2 * c * 7 * 7, 1, device),
        }
    }
}

impl Critic for MnistDiscriminator {
    fn forward(&self, images: Tensor<4>) -> Tensor<1> {
        let [batch, ..] = images.dims();
        let regularise = |h: Tensor<4>| match &self.dropout {
            Some(layer) => dropout(layer, h),
            None => h,
        };
        let h = regularise(act(self.conv1.forward(images)));
        let h = self.conv2.forward(h);
        let h = regularise(act(match &self.bn {
            Some(bn) => bn.forward(h),
            None => h,
        }));
        self.out.forward(h.flatten::<2>(1, 3)).reshape([batch])
    }

    fn macs(&self) -> u64 {
        macs(&self.conv1.weight, 14 * 14) + macs(&self.conv2.weight, 7 * 7) + macs(&self.out.weight, 1)
    }
}

// ---------------------------------------------------------------------------------------
// DCGAN and WGAN on polynomial images

#[derive(Config, Debug)]
pub struct PolyGeneratorConfig {
    /// 2 in the reference, so that the noise is a plane one can drag a point across.
    #[config(default = 2)]
    pub noise: usize,
    /// Channels of the 10x10 and 20x20 stages (128 in the reference); the 40x40 stage has half.
    #[config(default = 128)]
    pub channels: usize,
}

impl PolyGeneratorConfig {
    /// One image's footprint in a training step.
    pub fn footprint(&self) -> Footprint {
        let c = self.channels as u64;
        Footprint::conv(&[c * 100, c * 400, c / 2 * 1600], 2 * 1600, 1600)
    }

    /// 10x10, upsampled to 20x20 and to 40x40, with 3x3 kernels.
    pub fn init(&self, device: &Device) -> ConvGenerator {
        let c = self.channels;
        ConvGenerator::new(self.noise, 10, [c, c, c / 2], 3, [1, 1, 1], true, device)
    }
}

#[derive(Config, Debug)]
pub struct PolyCriticConfig {
    /// Channels of the first convolution: 16 for the DCGAN's discriminator, 128 (8x) for the
    /// WGAN's critic. The next three have 2x, 4x and 8x as many.
    #[config(default = 16)]
    pub width: usize,
}

#[derive(Module, Debug)]
pub struct PolyCritic {
    conv1: Conv2d,
    conv2: Conv2d,
    bn2: BatchNorm,
    conv3: Conv2d,
    bn3: BatchNorm,
    conv4: Conv2d,
    bn4: BatchNorm,
    dropout: Dropout,
    out: Linear,
}

impl PolyCriticConfig {
    /// One image's footprint in a training step.
    pub fn footprint(&self) -> Footprint {
        let w = self.width as u64;
        Footprint::conv(&[w * 400, 2 * w * 121, 4 * w * 36, 8 * w * 36], 1600, 1600)
    }

    pub fn init(&self, device: &Device) -> PolyCritic {
        let w = self.width;
        PolyCritic {
            conv1: conv([1, w], 3, 2, device),
            conv2: conv([w, 2 * w], 3, 2, device),
            bn2: batch_norm(2 * w, device),
            conv3: conv([2 * w, 4 * w], 3, 2, device),
            bn3: batch_norm(4 * w, device),
            conv4: conv([4 * w, 8 * w], 3, 1, device),
            bn4: batch_norm(8 * w, device),
            dropout: DropoutConfig::new(DROPOUT).init(),
            out: dense(8 * w * 6 * 6, 1, device),
        }
    }
}

impl Critic for PolyCritic {
    fn forward(&self, images: Tensor<4>) -> Tensor<1> {
        let [batch, ..] = images.dims();
        let h = dropout(&self.dropout, act(self.conv1.forward(images))); // 20x20
        let h = self.conv2.forward(h); // 10x10
        let h = h.pad((0, 1, 0, 1), PadMode::Constant(0.0)); // ZeroPadding2D(((0,1),(0,1))): 11x11
        let h = dropout(&self.dropout, act(self.bn2.forward(h)));
        let h = dropout(&self.dropout, act(self.bn3.forward(self.conv3.forward(h)))); // 6x6
        let h = dropout(&self.dropout, act(self.bn4.forward(self.conv4.forward(h)))); // 6x6
        self.out.forward(h.flatten::<2>(1, 3)).reshape([batch])
    }

    fn macs(&self) -> u64 {
        let conv = macs(&self.conv1.weight, 400) + macs(&self.conv2.weight, 100) + macs(&self.conv3.weight, 36);
        conv + macs(&self.conv4.weight, 36) + macs(&self.out.weight, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, BackendKind};
    use burn::nn::interpolate::{Interpolate2dConfig, InterpolateMode};

    fn device() -> Device {
        backend::cpu(BackendKind::Flex, "test").device
    }

    #[test]
    fn shapes_follow_the_spec() {
        let device = device();
        let g = MnistGeneratorConfig::new().with_channels(16).init(&device);
        let images = g.forward(Tensor::zeros([3, 100], &device));
        assert_eq!(images.dims(), [3, 1, 28, 28]);
        for batch_norm in [false, true] {
            let d = MnistDiscriminatorConfig::new().with_channels(8).with_batch_norm(batch_norm).init(&device);
            assert_eq!(d.forward(images.clone()).dims(), [3]);
        }

        let g = PolyGeneratorConfig::new().with_channels(8).init(&device);
        let images = g.forward(Tensor::zeros([2, 2], &device));
        assert_eq!(images.dims(), [2, 1, 40, 40]);
        let d = PolyCriticConfig::new().with_width(4).init(&device);
        assert_eq!(d.forward(images.clone()).dims(), [2]);
        // The 11x11 step: 40 -> 20 -> 10, padded to 11, then 6 and 6.
        let h = d.conv2.forward(d.conv1.forward(images));
        assert_eq!(h.dims(), [2, 8, 10, 10]);
        assert_eq!(h.pad((0, 1, 0, 1), PadMode::Constant(0.0)).dims(), [2, 8, 11, 11]);
    }

    #[test]
    fn upsample_deconv_is_the_upsampling_then_the_layer() {
        let device = device();
        let layer = deconv([3, 2], 3, 1, &device);
        let x = Tensor::<4>::random([2, 3, 5, 5], Distribution::Normal(0.0, 1.0), &device);
        let upsample = Interpolate2dConfig::new().with_scale_factor(Some([2.0, 2.0])).with_mode(InterpolateMode::Nearest);
        let upsampled = upsample.init().forward(x.clone());
        let expected = layer.forward(upsampled);
        let fused = upsample_deconv(&layer, x);
        assert_eq!(fused.dims(), [2, 2, 10, 10]);
        let error: f32 = (fused - expected.clone()).abs().max().into_scalar();
        let scale: f32 = expected.abs().max().into_scalar();
        assert!(error <= 1e-5 * scale, "largest difference {error} against values up to {scale}");
    }

    #[test]
    fn the_activation_is_leaky_relu_in_value_and_gradient() {
        let device = device().autodiff();
        let values = [-3.0f32, -0.5, 0.25, 2.0];
        let x = Tensor::<1>::from_floats(values, &device).require_grad();
        let y = act(x.clone());
        let grads = y.clone().sum().backward();
        let expected = burn::tensor::activation::leaky_relu(Tensor::<1>::from_floats(values, &device), LEAKY_SLOPE);
        assert_eq!(y.into_data(), expected.into_data());
        assert_eq!(x.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap(), vec![0.2, 0.2, 1.0, 1.0]);
    }

    #[test]
    fn the_paper_critics_have_the_reference_widths() {
        let device = device();
        // Flatten sizes of the spec: 4608 for the DCGAN's discriminator, 8x for the WGAN's.
        let d = PolyCriticConfig::new().init(&device);
        assert_eq!(d.out.weight.dims(), [4608, 1]);
        let c = PolyCriticConfig::new().with_width(128).init(&device);
        assert_eq!(c.out.weight.dims(), [8 * 4608, 1]);
        let d = MnistDiscriminatorConfig::new().init(&device);
        assert_eq!(d.out.weight.dims(), [128 * 7 * 7, 1]);
    }

    #[test]
    fn multiply_adds_count_each_layer_at_its_resolution() {
        let device = device();
        // The paper WGAN's critic by hand from docs/models.md: 3x3 convolutions 1->128 at 20x20,
        // 128->256 at 10x10, 256->512 and 512->1024 at 6x6, then Dense 1024*36 -> 1: the
        // ~0.24 G multiply-adds per image the issue quotes.
        let c = PolyCriticConfig::new().with_width(128).init(&device);
        assert_eq!(c.macs(), 9 * (128 * 400 + 128 * 256 * 100 + 256 * 512 * 36 + 512 * 1024 * 36) + 1024 * 36);
        // Its generator: Dense 2->12800, then the upsampling transposed convolutions as
        // 4x4 kernels 128->128 on 10x10 inputs and 128->64 on 20x20, and 3x3 64->1 on 40x40.
        let g = PolyGeneratorConfig::new().init(&device);
        assert_eq!(g.macs(), 2 * 12_800 + 16 * (128 * 128 * 100 + 128 * 64 * 400) + 9 * 64 * 1600);
        // The AE: Dense 784->128->64->2 and back (biases are not multiply-adds).
        let ae = crate::model::Autoencoder::new(crate::model::DenseShape::autoencoder(false), &device);
        assert_eq!(crate::model::LatentModel::macs(&ae), 2 * (784 * 128 + 128 * 64 + 64 * 2));
    }
}
