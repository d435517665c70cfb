//! The models, each as `XxxConfig` + `init(device)` + a `Module` with `forward` stages.
//! Nothing here names a backend: tensors live on whatever [`Device`] they are given.

pub mod autoencoder;
pub mod diagram;
pub mod dropout;
pub mod gan;
pub mod judge;
pub mod vae;

use burn::module::{Initializer, ModuleVisitor, Param};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu, sigmoid};

use crate::data::{IMAGE_PIXELS, LabelledBatch};

pub use autoencoder::Autoencoder;
pub use vae::Vae;

/// Copies of a convolutional layer's output that one image's training step keeps: the
/// layer's output, its normalisation or dropout, its activation, and the activation's factor.
pub const KEPT_PER_OUTPUT: u64 = 4;

/// What one image takes in a training step, in floats: all that the step keeps for the
/// backward pass, and its widest single tensor (which a batch multiplies into one buffer, and
/// a GPU holds only up to a size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub kept: u64,
    pub widest: u64,
}

impl Footprint {
    /// A convolutional model's: `outputs` are its hidden layers' outputs (each kept
    /// [`KEPT_PER_OUTPUT`] times), `once` what is kept only once (its input, its output),
    /// `pixels` the size of the image it makes or takes.
    pub fn conv(outputs: &[u64], once: u64, pixels: u64) -> Self {
        let widest = outputs.iter().copied().fold(pixels, u64::max);
        Footprint { kept: KEPT_PER_OUTPUT * outputs.iter().sum::<u64>() + once, widest }
    }

    /// Both models of a GAN step: the generator's, and the critic's on a real and a fake image.
    pub fn gan(generator: Self, critic: Self) -> Self {
        Footprint { kept: generator.kept + 2 * critic.kept, widest: generator.widest.max(critic.widest) }
    }
}

/// A Keras `Dense` layer as the reference builds it: Glorot-uniform weights, zero bias.
/// (burn's default is Kaiming-uniform for both, which changes the early learning curve.)
pub fn dense(d_input: usize, d_output: usize, device: &Device) -> Linear {
    let linear =
        LinearConfig::new(d_input, d_output).with_initializer(Initializer::XavierUniform { gain: 1.0 }).with_bias(false).init(device);
    Linear { bias: Some(Param::from_tensor(Tensor::zeros([d_output], device))), ..linear }
}

/// Multiply-adds of one image's pass through a layer with `weight`, applied at `positions`
/// places: 1 for a dense layer, the output pixels of a convolution, the input pixels of a
/// transposed convolution (which spreads each input pixel over its kernel).
pub fn macs<const D: usize>(weight: &Param<Tensor<D>>, positions: usize) -> u64 {
    (weight.val().shape().num_elements() * positions) as u64
}

/// Sums the multiply-adds of every dense layer of a module: each 2-D weight, [in, out], does
/// in x out per image (biases are 1-D).
struct DenseMacs(u64);

impl ModuleVisitor for DenseMacs {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if D == 2 {
            self.0 += macs(param, 1);
        }
    }
}

/// The autoencoders: models of MNIST with a 2-D latent code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatentKind {
    Autoencoder,
    AutoencoderClassifier,
    Vae,
    VaeClassifier,
}

impl LatentKind {
    pub fn has_classifier(self) -> bool {
        matches!(self, Self::AutoencoderClassifier | Self::VaeClassifier)
    }

    pub fn is_variational(self) -> bool {
        matches!(self, Self::Vae | Self::VaeClassifier)
    }

    pub fn shape(self) -> DenseShape {
        if self.is_variational() { DenseShape::vae(self.has_classifier()) } else { DenseShape::autoencoder(self.has_classifier()) }
    }
}

/// The GANs of the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GanKind {
    /// DCGAN on MNIST (noise 100).
    DcganMnist,
    /// DCGAN on polynomial images (noise 2).
    DcganPoly,
    /// WGAN with weight clipping on polynomial images (noise 2).
    WganPoly,
}

impl GanKind {
    /// Side of the images the GAN makes and trains on.
    pub fn side(self) -> usize {
        match self {
            GanKind::DcganMnist => crate::data::IMAGE_SIDE,
            GanKind::DcganPoly | GanKind::WganPoly => crate::data::poly::POLY_SIDE,
        }
    }
}

/// Every model a session can train.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    Latent(LatentKind),
    Gan(GanKind),
}

/// The widths of both autoencoders: 784 -> hidden1 -> hidden2 -> latent, mirrored by the
/// decoder, with an optional Dense latent->10 softmax classifier on the latent code.
#[derive(Debug, Clone, Copy)]
pub struct DenseShape {
    pub hidden1: usize,
    pub hidden2: usize,
    /// 2, so that the latent space can be drawn and dragged through.
    pub latent: usize,
    pub classifier: bool,
}

impl DenseShape {
    /// The reference's autoencoder: 784 -> 128 -> 64 -> 2.
    pub const fn autoencoder(classifier: bool) -> Self {
        DenseShape { hidden1: 128, hidden2: 64, latent: 2, classifier }
    }

    /// The reference's VAE: 784 -> 512 -> 64 -> 2.
    pub const fn vae(classifier: bool) -> Self {
        DenseShape { hidden1: 512, ..Self::autoencoder(classifier) }
    }

    /// The encoder's two hidden layers, which both models share.
    fn encoder(&self, device: &Device) -> (Linear, Linear) {
        (dense(IMAGE_PIXELS, self.hidden1, device), dense(self.hidden1, self.hidden2, device))
    }

    fn decoder(&self, device: &Device) -> DenseDecoder {
        DenseDecoder {
            hidden2: dense(self.latent, self.hidden2, device),
            hidden1: dense(self.hidden2, self.hidden1, device),
            out: dense(self.hidden1, IMAGE_PIXELS, device),
        }
    }

    /// One image's footprint in a training step. It keeps each Dense layer's output and its
    /// activation, the VAE's sampling, and the loss's difference and square beside the input
    /// (see [`KEPT_PER_OUTPUT`] for the convolutional models).
    pub fn footprint(&self, variational: bool) -> Footprint {
        let hidden = 2 * (2 * self.hidden1 + 2 * self.hidden2 + IMAGE_PIXELS);
        let latent = self.latent * if variational { 6 } else { 2 };
        let widest = [self.hidden1, self.hidden2, IMAGE_PIXELS].into_iter().max().unwrap_or(IMAGE_PIXELS);
        Footprint { kept: (hidden + latent + 3 * IMAGE_PIXELS) as u64, widest: widest as u64 }
    }

    fn classifier(&self, device: &Device) -> Option<Linear> {
        self.classifier.then(|| dense(self.latent, 10, device))
    }
}

/// The decoder of both autoencoders: Dense latent->hidden2 ReLU, hidden2->hidden1 ReLU,
/// hidden1->784 sigmoid (docs/models.md; only the widths differ between the AE and the VAE).
#[derive(Module, Debug)]
pub struct DenseDecoder {
    hidden2: Linear,
    hidden1: Linear,
    out: Linear,
}

impl DenseDecoder {
    /// [batch, latent] -> [batch, 784] in [0, 1].
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let h = relu(self.hidden2.forward(z));
        let h = relu(self.hidden1.forward(h));
        sigmoid_once(self.out.forward(h))
    }
}

/// `sigmoid(x)`, with its exponentials computed once. burn's autodiff computes a sigmoid again
/// in the backward pass, and on the CPU burn-flex computes it one element at a time, which is
/// a large share of the autoencoders' steps (docs/experiments/cpu-speed.md). Here the value `s`
/// and its slope `s (1 - s)` are computed off the graph and joined to `x` by a term that is
/// zero in value and has that slope as its gradient.
fn sigmoid_once(x: Tensor<2>) -> Tensor<2> {
    let s = sigmoid(x.clone().detach());
    let slope = s.clone() * (s.clone().neg() + 1.0);
    s + (x.clone() - x.detach()) * slope
}

/// The loss of one batch and the figures shown beside it, all still on the device so that
/// reading them back can be batched.
#[derive(Debug, Clone)]
pub struct Losses {
    /// What the optimiser minimises.
    pub total: Tensor<1>, // [1]
    /// Mean squared reconstruction error per pixel.
    pub mse: Tensor<1>, // [1]
    /// The KL term averaged over the batch, for the VAE.
    pub kl: Option<Tensor<1>>, // [1]
    /// Fraction of the batch the latent classifier gets right, for models that have one.
    pub accuracy: Option<Tensor<1>>, // [1]
}

/// A model of MNIST with a 2-D latent space: what the page, the worker and the Session need
/// to train it, plot its latent space and decode points of it, whatever the model is.
pub trait LatentModel: Module + Sized {
    /// Loss and metrics of one batch; `beta` weights the KL term of models that have one
    /// (the VAE) and is ignored by the others.
    fn losses(&self, batch: &LabelledBatch, beta: f64) -> Losses;
    /// The 2-D latent points of `images` ([n, 784] -> [n, 2]), as the scatter shows them.
    fn embed(&self, images: Tensor<2>) -> Tensor<2>;
    /// The posterior means of `images`, for models whose latent code is sampled; the code
    /// itself for the others.
    fn embed_mean(&self, images: Tensor<2>) -> Tensor<2> {
        self.embed(images)
    }
    /// The posterior of `images` ([n, 784]): its means and, for models whose code is sampled,
    /// its log-variances, each [n, latent]. A deterministic encoder has no spread.
    fn posterior(&self, images: Tensor<2>) -> (Tensor<2>, Option<Tensor<2>>) {
        (self.embed_mean(images), None)
    }
    /// Images decoded from latent points ([n, 2] -> [n, 784], values in [0, 1]).
    fn decode(&self, z: Tensor<2>) -> Tensor<2>;
    /// Images passed through the model ([n, 784] -> [n, 784]).
    fn reconstruct(&self, images: Tensor<2>) -> Tensor<2>;
    /// Whether the model has a latent classifier head (and reports accuracy).
    fn has_classifier(&self) -> bool;
    /// Multiply-adds of one image's forward pass. The autoencoders are dense layers only.
    fn macs(&self) -> u64 {
        let mut count = DenseMacs(0);
        self.visit(&mut count);
        count.0
    }
}

/// Categorical cross-entropy of softmax(`logits`) against integer `labels`, and accuracy.
/// log_softmax keeps it finite where a softmax output rounds to zero.
pub fn classification(logits: Tensor<2>, labels: Tensor<1, Int>) -> (Tensor<1>, Tensor<1>) {
    let [batch, _] = logits.dims();
    let picked = log_softmax(logits.clone(), 1).gather(1, labels.clone().reshape([batch, 1])); // [batch, 1]
    let ce = picked.mean().neg();
    let correct = logits.argmax(1).reshape([batch]).equal(labels).float().mean();
    (ce, correct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, BackendKind};

    #[test]
    fn sigmoid_once_is_the_sigmoid_in_value_and_gradient() {
        let device = backend::cpu(BackendKind::Flex, "test").device.autodiff();
        let values = [[-30.0f32, -2.5, -0.1, 0.0], [0.3, 1.7, 6.0, 40.0]];
        let weights = Tensor::<2>::from_floats([[0.5f32, -1.0, 2.0, 0.25], [1.5, -0.75, 3.0, 1.0]], &device);
        let run = |f: fn(Tensor<2>) -> Tensor<2>| {
            let x = Tensor::<2>::from_floats(values, &device).require_grad();
            let y = f(x.clone());
            let grads = (y.clone() * weights.clone()).sum().backward();
            (y.into_data().try_to_vec::<f32>().unwrap(), x.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap())
        };
        let (value, gradient) = run(sigmoid_once);
        let (expected_value, expected_gradient) = run(sigmoid);
        assert_eq!(value, expected_value);
        for (a, b) in gradient.iter().zip(&expected_gradient) {
            assert!((a - b).abs() <= 1e-7, "gradient {gradient:?}, burn's sigmoid gives {expected_gradient:?}");
        }
    }
}
