//! Step-wise GAN training, one generator update per step, for the three training rules of
//! the reference (docs/models.md). Like the autoencoders' trainer, losses stay on the device
//! until a read-back fetches all pending ones in one transfer.

use burn::module::{ModuleMapper, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::softplus;

use super::{
    EvalReport, Figure, KERAS_EPSILON, Run, StepReport, Train, TrainerState, check_batch, check_rate, copy_to, flattened, flops, read_f32,
    zip_floats,
};
use crate::data::{ImageSet, Split, SplitMix64, TrainSet};
use crate::error::{LabError, shown};
use crate::model::gan::{Critic, Generator, MnistDiscriminatorConfig, MnistGeneratorConfig, PolyCriticConfig, PolyGeneratorConfig};
use crate::record::{load_optimizer, load_record, optimizer_bytes, record_bytes};

/// Keras' RMSprop rho (burn's alpha defaults to 0.99).
const RMSPROP_RHO: f32 = 0.9;
/// Seed of the fixed noise behind the quality meters (page and command line alike), so that
/// every measurement of a run looks at the same points of the noise space.
pub const METER_NOISE_SEED: u64 = 0x6e02;
/// Images per generator forward pass when generating for the page.
const GENERATE_CHUNK: usize = 64;
/// The most critic updates per generator update a WGAN takes.
pub const MAX_CRITIC_STEPS: usize = 100;

/// How the discriminator and the generator take turns: the one difference between the
/// reference's three GANs besides their layers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GanRule {
    /// DCGAN on MNIST: binary cross-entropy; D and G are both updated from one forward pass,
    /// each by Adam with this beta1.
    JointBce { beta1: f32 },
    /// DCGAN on polynomials: D is updated on a real batch, then on a generated batch, then G
    /// through D (which is not updated); both by Adam with this beta1.
    AlternatingBce { beta1: f32 },
    /// WGAN: `n_critic` critic updates (each on a new real batch and new noise, each followed
    /// by clipping every critic parameter to [-clip, clip]), then one generator update.
    Wasserstein { n_critic: usize, clip: f32 },
}

/// The layers of a preset: the part that fixes the architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GanLayers {
    /// The generator's widest layer (256 for the MNIST DCGAN, 128 for the polynomial GANs).
    pub generator: usize,
    /// The critic's first layer (64 for the MNIST DCGAN, 16 and 128 for the polynomial ones).
    pub critic: usize,
    /// Whether the MNIST discriminator has batch norm in place of dropout (see
    /// [`MnistDiscriminatorConfig::batch_norm`]); the polynomial critics always have both.
    pub critic_batch_norm: bool,
}

impl GanLayers {
    /// The MNIST DCGAN's generator and discriminator at these widths.
    pub fn mnist(&self) -> (MnistGeneratorConfig, MnistDiscriminatorConfig) {
        let generator = MnistGeneratorConfig::new().with_channels(self.generator);
        (generator, MnistDiscriminatorConfig::new().with_channels(self.critic).with_batch_norm(self.critic_batch_norm))
    }

    /// The polynomial GANs' generator and critic at these widths.
    pub fn poly(&self) -> (PolyGeneratorConfig, PolyCriticConfig) {
        (PolyGeneratorConfig::new().with_channels(self.generator), PolyCriticConfig::new().with_width(self.critic))
    }
}

/// What a user can change between steps.
#[derive(Debug, Clone, PartialEq)]
pub struct GanConfig {
    pub lr_generator: f64,
    pub lr_critic: f64,
    pub batch_size: usize,
    pub seed: u64,
    pub rule: GanRule,
    /// Decay of the moving average of the generator's weights that makes the samples (see
    /// [`GanTrainer::generate`]): after each generator update, average = ema * average +
    /// (1 - ema) * weights. 0 shows the trained generator itself, as the reference does.
    pub ema: f64,
}

impl GanConfig {
    pub fn validate(&self, train_len: usize) -> Result<(), LabError> {
        check_rate("lrGenerator", self.lr_generator)?;
        check_rate("lrCritic", self.lr_critic)?;
        check_batch(self.batch_size, train_len)?;
        if !(0.0..1.0).contains(&self.ema) {
            return Err(LabError::invalid("ema", format!("the average's decay must be at least 0 and below 1, not {}", shown(self.ema))));
        }
        if let GanRule::Wasserstein { n_critic, clip } = self.rule {
            if !(1..=MAX_CRITIC_STEPS).contains(&n_critic) {
                return Err(LabError::invalid(
                    "nCritic",
                    format!("critic updates per step must be 1 to {MAX_CRITIC_STEPS}, not {n_critic}"),
                ));
            }
            if !(clip.is_finite() && clip > 0.0) {
                return Err(LabError::invalid("clip", format!("the clip value must be a positive number, not {}", shown(f64::from(clip)))));
            }
        }
        Ok(())
    }
}

/// Clamps every float tensor of a module: weights, biases, BN scales and shifts, and BN's
/// running statistics too (burn's mappers visit them, as the reference's loop over every
/// layer's `get_weights()` does). Training never reads the running statistics: the critic
/// always runs on batch statistics.
struct Clip(f32);

impl ModuleMapper for Clip {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let require_grad = tensor.is_require_grad();
        let clipped = Tensor::from_inner(tensor.inner().clamp(-self.0, self.0));
        Param::from_mapped_value(id, if require_grad { clipped.require_grad() } else { clipped }, mapper)
    }
}

/// Makes every float tensor of a module a constant of the autodiff graph. burn's `no_grad`
/// would do it too, but on a copy of a module whose weights are still lazy (never used) it
/// freezes the original's as well: they share the pending initialisation. Consuming each
/// parameter initialises it first, in the state it shares with the original.
struct Freeze;

impl ModuleMapper for Freeze {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        Param::from_mapped_value(id, tensor.set_require_grad(false), mapper)
    }
}

/// -log(sigmoid(x)) for label 1 and -log(1 - sigmoid(x)) for label 0, as softplus so that a
/// confident discriminator gives a finite loss (Keras clips probabilities for the same reason).
fn bce_with_logits(logits: Tensor<1>, label: bool) -> Tensor<1> {
    softplus(if label { logits.neg() } else { logits }, 1.0).mean()
}

/// A fresh optimiser of the kind `rule` trains with.
fn optimizer(rule: GanRule) -> ModuleOptimizer {
    match rule {
        GanRule::Wasserstein { .. } => RmsPropConfig::new().with_alpha(RMSPROP_RHO).with_momentum(0.0).with_epsilon(KERAS_EPSILON).init(),
        GanRule::JointBce { beta1 } | GanRule::AlternatingBce { beta1 } => {
            AdamConfig::new().with_beta_1(beta1).with_epsilon(KERAS_EPSILON).init()
        }
    }
}

pub struct GanTrainer<G: Generator, D: Critic> {
    generator: G,
    critic: D,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    config: GanConfig,
    run: Run,
    /// The moving average of the generator's weights (inference copy, no autodiff), while
    /// `config.ema` is above 0.
    average: Option<G>,
}

impl<G: Generator, D: Critic> GanTrainer<G, D> {
    /// `generator` and `critic` must live on `device`, an autodiff device.
    pub fn new(generator: G, critic: D, device: Device, config: GanConfig, train_len: usize) -> Result<Self, LabError> {
        config.validate(train_len)?;
        let (optim_g, optim_d) = (optimizer(config.rule), optimizer(config.rule));
        let run = Run::new(device, config.seed, train_len);
        Ok(Self { generator, critic, optim_g, optim_d, config, run, average: None })
    }

    /// Changes the settings between steps; the optimisers keep their state. The rule's kind
    /// (which optimiser) is the model's and cannot change, only its numbers.
    pub fn set_config(&mut self, config: GanConfig, train_len: usize) -> Result<(), LabError> {
        config.validate(train_len)?;
        if config.ema == 0.0 {
            self.average = None; // the samples show the generator from now on
        }
        self.config = config;
        Ok(())
    }

    pub fn critic(&self) -> &D {
        &self.critic
    }

    fn real_batch(&mut self, data: &dyn ImageSet) -> Tensor<4> {
        let indices = self.run.cursor.next_batch(self.config.batch_size);
        let side = data.side();
        let mut pixels = Vec::with_capacity(indices.len() * side[0] * side[1]);
        for &i in &indices {
            data.extend_pixels(i, &mut pixels);
        }
        Tensor::from_data(TensorData::new(pixels, [indices.len(), 1, side[0], side[1]]), &self.run.device)
    }

    fn noise(&self, batch: usize) -> Tensor<2> {
        Tensor::random([batch, self.generator.noise_dim()], Distribution::Normal(0.0, 1.0), &self.run.device)
    }

    fn update_critic(&mut self, loss: Tensor<1>) {
        let grads = GradientsParams::from_grads(loss.backward(), &self.critic);
        self.critic = self.optim_d.step(self.config.lr_critic, self.critic.clone(), grads);
    }

    /// The critic as a generator update sees it ("G through the frozen D"): its weights are
    /// constants of the graph, so the backward pass computes no critic weight gradients that
    /// nobody would read. Its batch-norm running statistics are shared with `self.critic`.
    fn frozen_critic(&self) -> D {
        self.critic.clone().map(&mut Freeze)
    }

    fn update_generator(&mut self, loss: Tensor<1>) {
        let grads = GradientsParams::from_grads(loss.backward(), &self.generator);
        self.generator = self.optim_g.step(self.config.lr_generator, self.generator.clone(), grads);
        self.update_average();
    }

    /// Moves the generator's moving average toward its new weights. A GAN's generator keeps
    /// circling the equilibrium rather than settling in it; the average of its recent weights
    /// sits nearer the middle (Yazici et al. 2019, "The Unusual Effectiveness of Averaging in
    /// GAN Training"; StyleGAN samples from one too). Early on the decay is lower, as in
    /// TensorFlow's ExponentialMovingAverage with `num_updates` (the first weights are noise).
    fn update_average(&mut self) {
        let ema = self.config.ema;
        if ema == 0.0 {
            return; // no average (set_config drops it)
        }
        let weights = self.generator.valid();
        self.average = Some(match self.average.take() {
            None => weights,
            Some(average) => {
                let step = self.run.step as f64;
                let decay = ema.min((1.0 + step) / (10.0 + step));
                let blend = |own: Tensor<1>, new: Tensor<1>| own.mul_scalar(decay) + new.mul_scalar(1.0 - decay);
                zip_floats(average, flattened(&weights).into_iter(), blend)
            }
        });
    }

    /// One critic update of the WGAN on a new real batch and new noise, then the clipping.
    /// The fakes come from `generator`, the inference copy of the generator (see `step`).
    fn critic_update_wasserstein(&mut self, data: &dyn ImageSet, generator: &G, clip: f32) -> Tensor<1> {
        let real = self.real_batch(data);
        let inner = self.run.device.clone().without_autodiff();
        let noise = Tensor::random([real.dims()[0], generator.noise_dim()], Distribution::Normal(0.0, 1.0), &inner);
        let fake = Tensor::from_inner(generator.forward(noise));
        let loss = self.critic.forward(fake).mean() - self.critic.forward(real).mean();
        self.update_critic(loss.clone());
        self.critic = self.critic.clone().map(&mut Clip(clip));
        loss
    }

    /// One generator update (and the critic updates the rule puts before it) on `data`,
    /// whose images must be in the generator's range and of its size. Nothing is read back.
    fn step_on(&mut self, data: &dyn ImageSet) {
        self.run.seed_step();
        let (critic_loss, generator_loss) = match self.config.rule {
            GanRule::JointBce { .. } => {
                let real = self.real_batch(data);
                let batch = real.dims()[0];
                let fake = self.generator.forward(self.noise(batch));
                // D sees the same generated batch as G, detached so that D's loss does not
                // reach the generator; G's loss does not reach D's weights.
                let d_loss =
                    bce_with_logits(self.critic.forward(real), true) + bce_with_logits(self.critic.forward(fake.clone().detach()), false);
                let g_loss = bce_with_logits(self.frozen_critic().forward(fake), true);
                // Both gradients come from the models as they were before either update.
                let d_grads = GradientsParams::from_grads(d_loss.backward(), &self.critic);
                let g_grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
                self.critic = self.optim_d.step(self.config.lr_critic, self.critic.clone(), d_grads);
                self.generator = self.optim_g.step(self.config.lr_generator, self.generator.clone(), g_grads);
                self.update_average();
                (d_loss, g_loss)
            }
            GanRule::AlternatingBce { .. } => {
                let real = self.real_batch(data);
                let batch = real.dims()[0];
                let d_real = bce_with_logits(self.critic.forward(real), true);
                self.update_critic(d_real.clone());
                let fake = self.generator.forward(self.noise(batch)).detach();
                let d_fake = bce_with_logits(self.critic.forward(fake), false);
                self.update_critic(d_fake.clone());
                let g_loss = bce_with_logits(self.frozen_critic().forward(self.generator.forward(self.noise(batch))), true);
                self.update_generator(g_loss.clone());
                // Keras reports the mean of the two discriminator losses.
                ((d_real + d_fake).mul_scalar(0.5), g_loss)
            }
            GanRule::Wasserstein { n_critic, clip } => {
                // The critic's fakes come from the generator in inference mode, as Keras'
                // `predict` makes them: BN's running statistics (what the meters and the page's
                // samples show, so the critic judges those images), no autodiff graph for a
                // batch that is detached anyway, and no update of the running statistics, which
                // only the generator's own update makes (docs/experiments/gans.md measures it).
                let generator = self.generator.valid();
                let mut d_loss = self.critic_update_wasserstein(data, &generator, clip);
                for _ in 1..n_critic {
                    d_loss = self.critic_update_wasserstein(data, &generator, clip);
                }
                let noise = self.noise(self.config.batch_size);
                let g_loss = self.frozen_critic().forward(self.generator.forward(noise)).mean().neg();
                self.update_generator(g_loss.clone());
                (d_loss, g_loss)
            }
        };
        self.run.finish_step(vec![(Figure::CriticLoss, critic_loss), (Figure::GeneratorLoss, generator_loss)]);
    }
}

impl<G: Generator, D: Critic> Train for GanTrainer<G, D> {
    fn step_count(&self) -> u64 {
        self.run.step
    }

    /// Floating-point operations of one step (see [`crate::train::flops`]): the passes each
    /// rule makes through the generator (G) and the critic (D), a backward pass counting as
    /// two forward ones.
    fn flops_per_step(&self) -> f64 {
        let (g, d) = (self.generator.macs() as f64, self.critic.macs() as f64);
        let macs = match self.config.rule {
            // G forward and backward; D on the real batch, the fake one, and G's loss through D.
            GanRule::JointBce { .. } => 3.0 * g + 9.0 * d,
            // D on the real batch, a fake batch (G forward only), then G through D.
            GanRule::AlternatingBce { .. } => 4.0 * g + 9.0 * d,
            // Each critic update: G forward, D on real and fake; then G through D.
            GanRule::Wasserstein { n_critic, .. } => n_critic as f64 * (g + 6.0 * d) + 3.0 * (g + d),
        };
        flops(macs, self.config.batch_size)
    }

    fn step(&mut self, data: TrainSet<'_>) -> Result<(), LabError> {
        self.step_on(data.images());
        Ok(())
    }

    async fn read_back(&mut self) -> Result<StepReport, LabError> {
        self.run.read_back().await
    }

    /// The generator's and the critic's weights and optimisers, one burn record each.
    /// The generator's moving average, when there is one, is a third record of weights.
    fn state(&self) -> Result<TrainerState, LabError> {
        let modules = [Some(record_bytes(&self.generator)), Some(record_bytes(&self.critic)), self.average.as_ref().map(record_bytes)];
        let weights = modules.into_iter().flatten().collect::<Result<_, _>>().map_err(LabError::Checkpoint)?;
        Ok(self.run.state(weights, vec![optimizer_bytes(&self.optim_g)?, optimizer_bytes(&self.optim_d)?]))
    }

    async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        let record = |bytes: Result<Vec<u8>, String>| bytes.map_err(LabError::Checkpoint);
        let mut weights =
            vec![record(record_bytes(&copy_to(&self.generator, cpu).await?))?, record(record_bytes(&copy_to(&self.critic, cpu).await?))?];
        if let Some(average) = &self.average {
            weights.push(record(record_bytes(&copy_to(average, cpu).await?))?);
        }
        Ok(self.run.state(weights, Vec::new()))
    }

    /// Without optimiser records the optimisers start afresh; without the generator's moving
    /// average it starts again from the generator's weights.
    fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        let (generator, critic, average) = match &state.weights[..] {
            [generator, critic] => (generator, critic, None),
            [generator, critic, average] => (generator, critic, Some(average)),
            other => {
                let n = other.len();
                return Err(LabError::Checkpoint(format!("a GAN has two or three records of weights, not {n}")));
            }
        };
        fn in_part(part: &'static str) -> impl Fn(String) -> LabError {
            move |e| LabError::Checkpoint(format!("{part}: {e}"))
        }
        let generator = load_record(self.generator.clone(), generator).map_err(in_part("generator"))?;
        let critic = load_record(self.critic.clone(), critic).map_err(in_part("critic"))?;
        let average = match average {
            Some(bytes) if self.config.ema > 0.0 => Some(load_record(generator.valid(), bytes).map_err(in_part("generator's average"))?),
            _ => None,
        };
        let (optim_g, optim_d) = match self.run.loadable_optimizers(state) {
            [] => (optimizer(self.config.rule), optimizer(self.config.rule)),
            [g, d] => (
                load_optimizer(&self.optim_g, &generator, g).map_err(in_part("generator"))?,
                load_optimizer(&self.optim_d, &critic, d).map_err(in_part("critic"))?,
            ),
            other => return Err(LabError::Checkpoint(format!("a GAN has two optimisers, not {}", other.len()))),
        };
        let cursor = self.run.cursor_for(state)?;
        (self.generator, self.critic, self.optim_g, self.optim_d, self.average) = (generator, critic, optim_g, optim_d, average);
        self.run.resume(cursor, state.step);
        Ok(())
    }

    /// Images generated from 2-D noise points, for the GANs whose noise is a plane.
    async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        let dim = self.generator.noise_dim();
        if dim != 2 {
            return Err(LabError::invalid(
                "latent",
                format!("this GAN draws its noise from {dim} dimensions, not a plane one can point at"),
            ));
        }
        self.generate(points).await
    }

    /// Images generated from `noise` (`[n * noise_dim]`, row-major) by the generator's moving
    /// average if there is one, else by the generator, in inference mode (BN's running
    /// statistics, as the reference's `predict`), `[n * side^2]`.
    async fn generate(&self, noise: &[f32]) -> Result<Vec<f32>, LabError> {
        let dim = self.generator.noise_dim();
        if noise.is_empty() || !noise.len().is_multiple_of(dim) {
            return Err(LabError::invalid("noise", format!("noise must be a whole number of {dim}-value points")));
        }
        let device = self.run.device.clone().without_autodiff();
        let generator = self.average.clone().unwrap_or_else(|| self.generator.valid());
        // In chunks, so that a manifold of 1,024 images from a paper-width generator does not
        // hold every image's activations at once (hundreds of MB at 40x40 x 128 channels).
        let images = noise
            .chunks(GENERATE_CHUNK * dim)
            .map(|chunk| {
                let points = Tensor::from_data(TensorData::new(chunk.to_vec(), [chunk.len() / dim, dim]), &device);
                generator.forward(points)
            })
            .collect::<Vec<_>>();
        read_f32(Tensor::cat(images, 0)).await
    }

    fn noise_dim(&self) -> Option<usize> {
        Some(self.generator.noise_dim())
    }

    async fn evaluate(&self, _data: &Split) -> Result<EvalReport, LabError> {
        Err(no_latent_code())
    }

    async fn embed(&self, _data: &Split, _mean: bool) -> Result<Vec<f32>, LabError> {
        Err(no_latent_code())
    }

    async fn reconstruct(&self, _data: &Split, _indices: &[usize]) -> Result<Vec<f32>, LabError> {
        Err(no_latent_code())
    }
}

/// What a GAN answers to a question about test images' latent codes.
fn no_latent_code() -> LabError {
    LabError::invalid("model", "a GAN has no latent code of test images: it generates from noise")
}

/// `n` points of standard normal noise of dimension `dim`, the same on every platform for a
/// seed: the fixed noise of the sample grids, so that successive grids show the same points.
pub fn fixed_noise(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * dim).map(|_| rng.normal() as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, BackendKind};
    use crate::model::gan::{PolyCritic, PolyCriticConfig, PolyGeneratorConfig};

    /// A generator update scores its images with the critic and takes the gradient through
    /// it to the images, but the backward pass holds no gradient for any critic weight.
    #[test]
    fn the_generator_update_sees_a_frozen_critic() {
        let device = backend::cpu(BackendKind::Flex, "test").device.autodiff();
        let config = GanConfig {
            lr_generator: 1e-3,
            lr_critic: 5e-4,
            batch_size: 16,
            seed: 1,
            rule: GanRule::Wasserstein { n_critic: 2, clip: 0.2 },
            ema: 0.99,
        };
        let generator = PolyGeneratorConfig::new().with_channels(16).init(&device);
        let critic = PolyCriticConfig::new().with_width(8).init(&device);
        let trainer = GanTrainer::new(generator, critic, device.clone(), config, 100).unwrap();
        let images = Tensor::<4>::random([4, 1, 40, 40], Distribution::Uniform(-1.0, 1.0), &device).require_grad();
        // The same dropout masks for both passes, so that their scores can be compared.
        let score = |critic: &PolyCritic| {
            crate::model::dropout::seed(7);
            let grads = critic.forward(images.clone()).sum().backward();
            let to_images = images.grad(&grads).unwrap().into_data().try_to_vec::<f32>().unwrap();
            (to_images, GradientsParams::from_grads(grads, &trainer.critic).len())
        };
        // Frozen first: a fresh critic's weights are still lazy, shared with every copy.
        let (through_frozen, frozen_weights) = score(&trainer.frozen_critic());
        let (through_critic, critic_weights) = score(&trainer.critic);
        assert_eq!(frozen_weights, 0);
        assert!(critic_weights > 10, "{critic_weights} critic weights got a gradient");
        assert_eq!(through_frozen, through_critic);
        assert!(through_frozen.iter().any(|&g| g != 0.0));
    }
}
