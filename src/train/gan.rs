//! Step-wise GAN training, one generator update per step, for the three training rules of
//! the reference (models.md). Like [`super::Trainer`], losses stay on the device until
//! [`GanTrainer::read_back`] fetches all pending ones in one transfer.

use burn::module::{ModuleMapper, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::softplus;

use super::{
    TrainerState, copy_to, flattened, flops, load_optimizer, loadable_optimizers, optimizer_bytes, read_f32, resume_cursor,
    step_seed, zip_floats,
};
use crate::checkpoint::{load_record, record_bytes};
use crate::data::npy::Images;
use crate::data::{EpochCursor, MnistSplit, SplitMix64};
use crate::error::LabError;
use crate::model::GanKind;
use crate::model::gan::{
    Critic, Generator, MnistDiscriminator, MnistDiscriminatorConfig, MnistGenerator, MnistGeneratorConfig, PolyCritic,
    PolyCriticConfig, PolyGenerator, PolyGeneratorConfig,
};

/// Keras' epsilon for Adam and RMSprop (burn's defaults differ).
const KERAS_EPSILON: f32 = 1e-7;
/// Keras' RMSprop rho (burn's alpha defaults to 0.99).
const RMSPROP_RHO: f32 = 0.9;
/// Seed of the fixed noise behind the quality meters (page and command line alike), so that
/// every measurement of a run looks at the same points of the noise space.
pub const METER_NOISE_SEED: u64 = 0x6e02;
/// The live presets' decay of the generator's moving average (see [`GanConfig::ema`]).
const LIVE_EMA: f64 = 0.99;
/// Images per generator forward pass when generating for the page.
const GENERATE_CHUNK: usize = 64;

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

/// Training images of a GAN, in the generator's range.
pub trait ImageSet {
    fn len(&self) -> usize;
    /// Height and width of every image.
    fn side(&self) -> [usize; 2];
    /// Appends the pixels of image `index` (< `len`), row by row.
    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>);
}

/// Polynomial images are used as they are (models.md: no rescaling).
impl ImageSet for Images {
    fn len(&self) -> usize {
        self.count()
    }

    fn side(&self) -> [usize; 2] {
        [self.height(), self.width()]
    }

    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>) {
        let n = self.height() * self.width();
        out.extend_from_slice(&self.pixels()[index * n..(index + 1) * n]);
    }
}

/// MNIST as the DCGAN sees it: (pixel - 127.5) / 127.5, in [-1, 1] like the tanh output.
impl ImageSet for MnistSplit {
    fn len(&self) -> usize {
        MnistSplit::len(self)
    }

    fn side(&self) -> [usize; 2] {
        [crate::data::IMAGE_SIDE; 2]
    }

    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>) {
        out.extend(self.image(index).iter().map(|&p| (p as f32 - 127.5) / 127.5));
    }
}

/// Which settings a GAN starts from: the reference's, or narrower layers and smaller batches
/// that show recognisable results within minutes on a CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GanPreset {
    Paper,
    Live,
}

impl GanPreset {
    pub fn parse(name: &str) -> Result<Self, LabError> {
        match name {
            "paper" => Ok(Self::Paper),
            "live" => Ok(Self::Live),
            other => Err(LabError::invalid("preset", format!("unknown preset '{other}': use paper or live"))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::Live => "live",
        }
    }
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

impl GanKind {
    /// The widths and settings of `preset`. The paper presets are models.md's. The live
    /// presets are narrower with smaller batches and learn faster; measured natively (`flex`,
    /// one thread, 256 fixed-noise samples, the tuning runs in the README):
    /// - DCGAN on polynomials: G 8 / D 8, batch 16, Adam G 1e-3 / D 5e-4 reached a row
    ///   residual of 0.040 with diversity 0.95 in 150 s (1,540 steps). At G 16 with D 5e-5
    ///   it stalled near 0.8; with the reference's 2e-4 for both, D won and G's samples
    ///   stayed blotchy (0.31 after 600 steps).
    /// - WGAN: G 16 / critic 8, batch 16, RMSProp G 1e-3 / critic 5e-4, 2 critic updates per
    ///   generator update, clip 0.2, samples from the generator's moving average. At equal
    ///   compute (1,300 steps with 5 critic updates, 2,600 with 2; residual of the average's
    ///   samples, seed 1): 5 at clip 0.1 left 0.115, 2 at clip 0.1 0.085, 0.15 0.053, 0.2
    ///   0.039 (0.025, 0.101 and 0.031 for seeds 2-4; seed 3's samples stay blocky), 0.3
    ///   0.037; without the average 0.2 gave 0.047. 1 critic update, critic 1e-3 and G 5e-4
    ///   or 2e-3 were worse at clip 0.1; at 0.2, 1 critic update in the time of 1,330 steps
    ///   with 2 (1,900 steps) left 0.053 / 0.034 / 0.074 (seeds 1-3) against 0.069 / 0.031 /
    ///   0.058 after 1,250 with 2; raising the critic's rate to 1e-3, the generator's to
    ///   1.5e-3, or both to 2e-3 / 1e-3 left 0.077, 0.116 and 0.079. With the reference's
    ///   5e-5 and clip 0.01 it was still at noise (0.80 after 124 steps).
    /// - DCGAN on MNIST: G 32 / D 16, batch 32, the discriminator with batch norm in place of
    ///   dropout (the DCGAN paper's), Adam 5e-4 with beta1 0.5 (the paper's) for both. The
    ///   reference's discriminator at these widths stays near a judge confidence of 0.8
    ///   (0.77-0.84 from step 1,500 to 7,500) whatever the optimiser's settings, and so does
    ///   Keras' own training of it; this one reads 0.81-0.85 from step 2,000 (seeds 1-3) and
    ///   0.83-0.86 on to step 4,500 (seed 2). The runs: README.
    pub fn preset(self, preset: GanPreset, seed: u64) -> (GanLayers, GanConfig) {
        let wgan = |n_critic, clip| GanRule::Wasserstein { n_critic, clip };
        let (generator, critic, batch_size, lr_generator, lr_critic, rule) = match (self, preset) {
            // Keras' default beta1.
            (GanKind::DcganMnist, GanPreset::Paper) => (256, 64, 256, 1e-4, 5e-5, GanRule::JointBce { beta1: 0.9 }),
            (GanKind::DcganMnist, GanPreset::Live) => (32, 16, 32, 5e-4, 5e-4, GanRule::JointBce { beta1: 0.5 }),
            (GanKind::DcganPoly, GanPreset::Paper) => (128, 16, 128, 2e-4, 2e-4, GanRule::AlternatingBce { beta1: 0.5 }),
            (GanKind::DcganPoly, GanPreset::Live) => (8, 8, 16, 1e-3, 5e-4, GanRule::AlternatingBce { beta1: 0.5 }),
            (GanKind::WganPoly, GanPreset::Paper) => (128, 128, 128, 5e-5, 5e-5, wgan(5, 0.01)),
            (GanKind::WganPoly, GanPreset::Live) => (16, 8, 16, 1e-3, 5e-4, wgan(2, 0.2)),
        };
        let ema = match preset {
            GanPreset::Paper => 0.0,
            GanPreset::Live => LIVE_EMA,
        };
        let critic_batch_norm = (self, preset) == (GanKind::DcganMnist, GanPreset::Live);
        (GanLayers { generator, critic, critic_batch_norm }, GanConfig { lr_generator, lr_critic, batch_size, seed, rule, ema })
    }

    /// Side of the images the GAN makes and trains on.
    pub fn side(self) -> usize {
        match self {
            GanKind::DcganMnist => crate::data::IMAGE_SIDE,
            GanKind::DcganPoly | GanKind::WganPoly => crate::data::poly::POLY_SIDE,
        }
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
        for (field, lr) in [("lrGenerator", self.lr_generator), ("lrCritic", self.lr_critic)] {
            if !(lr.is_finite() && lr > 0.0) {
                return Err(LabError::invalid(field, format!("the learning rate must be a positive number, not {lr}")));
            }
        }
        if self.batch_size == 0 || self.batch_size > train_len {
            return Err(LabError::invalid(
                "batchSize",
                format!("the batch size must be between 1 and {train_len} (the training set), not {}", self.batch_size),
            ));
        }
        if !(0.0..1.0).contains(&self.ema) {
            return Err(LabError::invalid("ema", format!("the average's decay must be at least 0 and below 1, not {}", self.ema)));
        }
        if let GanRule::Wasserstein { n_critic, clip } = self.rule {
            if !(1..=100).contains(&n_critic) {
                return Err(LabError::invalid("nCritic", format!("critic updates per step must be 1 to 100, not {n_critic}")));
            }
            if !(clip.is_finite() && clip > 0.0) {
                return Err(LabError::invalid("clip", format!("the clip value must be a positive number, not {clip}")));
            }
        }
        Ok(())
    }
}

/// Figures of the steps since the previous read-back, one value per step.
#[derive(Debug, Clone, PartialEq)]
pub struct GanStepReport {
    pub first_step: u64,
    /// Discriminator (critic) loss; for the WGAN, mean D(fake) - mean D(real) of its last
    /// critic update, so that minus it is the critic's estimate of the Wasserstein distance.
    pub critic_losses: Vec<f32>,
    pub generator_losses: Vec<f32>,
    pub step: u64,
    pub epoch: u64,
    pub epoch_progress: f64,
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
        GanRule::Wasserstein { .. } => {
            RmsPropConfig::new().with_alpha(RMSPROP_RHO).with_momentum(0.0).with_epsilon(KERAS_EPSILON).init()
        }
        GanRule::JointBce { beta1 } | GanRule::AlternatingBce { beta1 } => {
            AdamConfig::new().with_beta_1(beta1).with_epsilon(KERAS_EPSILON).init()
        }
    }
}

pub struct GanTrainer<G: Generator, D: Critic> {
    generator: G,
    critic: D,
    /// The autodiff device both train on.
    device: Device,
    optim_g: ModuleOptimizer,
    optim_d: ModuleOptimizer,
    cursor: EpochCursor,
    config: GanConfig,
    step: u64,
    /// `[critic loss, generator loss]` of the steps not yet read back.
    pending: Vec<Tensor<1>>,
    /// The moving average of the generator's weights (inference copy, no autodiff), while
    /// `config.ema` is above 0.
    average: Option<G>,
}

impl<G: Generator, D: Critic> GanTrainer<G, D> {
    /// `generator` and `critic` must live on `device`, an autodiff device.
    pub fn new(generator: G, critic: D, device: Device, config: GanConfig, train_len: usize) -> Result<Self, LabError> {
        config.validate(train_len)?;
        Ok(Self {
            generator,
            critic,
            device,
            optim_g: optimizer(config.rule),
            optim_d: optimizer(config.rule),
            cursor: EpochCursor::new(train_len, config.seed),
            config,
            step: 0,
            pending: Vec::new(),
            average: None,
        })
    }

    pub fn config(&self) -> &GanConfig {
        &self.config
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

    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Floating-point operations of one step (see [`crate::train::flops`]): the passes each
    /// rule makes through the generator (G) and the critic (D), a backward pass counting as
    /// two forward ones.
    pub fn flops_per_step(&self) -> f64 {
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

    pub fn generator(&self) -> &G {
        &self.generator
    }

    pub fn critic(&self) -> &D {
        &self.critic
    }

    /// The generator's and the critic's weights and optimisers, one burn record each.
    /// The generator's moving average, when there is one, is a third record of weights.
    pub fn state(&self) -> Result<TrainerState, LabError> {
        let modules = [Some(record_bytes(&self.generator)), Some(record_bytes(&self.critic)), self.average.as_ref().map(record_bytes)];
        Ok(TrainerState {
            weights: modules.into_iter().flatten().collect::<Result<_, _>>().map_err(LabError::Checkpoint)?,
            optimizers: vec![optimizer_bytes(&self.optim_g)?, optimizer_bytes(&self.optim_d)?],
            step: self.step,
            cursor: Some(self.cursor.state()),
        })
    }

    /// [`Self::state`] without the optimisers', read asynchronously through copies on `cpu`
    /// (see [`copy_to`]).
    pub async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        let record = |bytes: Result<Vec<u8>, String>| bytes.map_err(LabError::Checkpoint);
        let mut weights = vec![
            record(record_bytes(&copy_to(&self.generator, cpu).await?))?,
            record(record_bytes(&copy_to(&self.critic, cpu).await?))?,
        ];
        if let Some(average) = &self.average {
            weights.push(record(record_bytes(&copy_to(average, cpu).await?))?);
        }
        Ok(TrainerState {
            weights,
            optimizers: Vec::new(),
            step: self.step,
            cursor: Some(self.cursor.state()),
        })
    }

    /// Takes up `state` (from [`Self::state`] of the same architecture and seed; without
    /// optimiser records the optimisers start afresh; without the generator's moving average
    /// it starts again from the generator's weights). Nothing changes on an error.
    pub fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
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
        let (optim_g, optim_d) = match loadable_optimizers(state, &self.device) {
            [] => (optimizer(self.config.rule), optimizer(self.config.rule)),
            [g, d] => (
                load_optimizer(&self.optim_g, &generator, g).map_err(in_part("generator"))?,
                load_optimizer(&self.optim_d, &critic, d).map_err(in_part("critic"))?,
            ),
            other => return Err(LabError::Checkpoint(format!("a GAN has two optimisers, not {}", other.len()))),
        };
        let cursor = resume_cursor(self.cursor.len(), self.config.seed, state.cursor)?;
        (self.generator, self.critic, self.optim_g, self.optim_d) = (generator, critic, optim_g, optim_d);
        (self.cursor, self.step, self.average) = (cursor, state.step, average);
        self.pending.clear();
        Ok(())
    }

    fn real_batch(&mut self, data: &dyn ImageSet) -> Tensor<4> {
        let indices = self.cursor.next_batch(self.config.batch_size);
        let side = data.side();
        let mut pixels = Vec::with_capacity(indices.len() * side[0] * side[1]);
        for &i in &indices {
            data.extend_pixels(i, &mut pixels);
        }
        Tensor::from_data(TensorData::new(pixels, [indices.len(), 1, side[0], side[1]]), &self.device)
    }

    fn noise(&self, batch: usize) -> Tensor<2> {
        Tensor::random([batch, self.generator.noise_dim()], Distribution::Normal(0.0, 1.0), &self.device)
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
                let decay = ema.min((1.0 + self.step as f64) / (10.0 + self.step as f64));
                let blend = |own: Tensor<1>, new: Tensor<1>| own.mul_scalar(decay) + new.mul_scalar(1.0 - decay);
                zip_floats(average, flattened(&weights).into_iter(), blend)
            }
        });
    }

    /// One critic update of the WGAN on a new real batch and new noise, then the clipping.
    /// The fakes come from `generator`, the inference copy of the generator (see `step`).
    fn critic_update_wasserstein(&mut self, data: &dyn ImageSet, generator: &G, clip: f32) -> Tensor<1> {
        let real = self.real_batch(data);
        let inner = self.device.clone().without_autodiff();
        let noise = Tensor::random([real.dims()[0], generator.noise_dim()], Distribution::Normal(0.0, 1.0), &inner);
        let fake = Tensor::from_inner(generator.forward(noise));
        let loss = self.critic.forward(fake).mean() - self.critic.forward(real).mean();
        self.update_critic(loss.clone());
        self.critic = self.critic.clone().map(&mut Clip(clip));
        loss
    }

    /// One generator update (and the critic updates the rule puts before it) on `data`,
    /// whose images must be in the generator's range and of its size. Nothing is read back.
    pub fn step(&mut self, data: &dyn ImageSet) {
        let seed = step_seed(self.config.seed, self.step);
        self.device.seed(seed);
        crate::model::dropout::seed(seed);
        let (critic_loss, generator_loss) = match self.config.rule {
            GanRule::JointBce { .. } => {
                let real = self.real_batch(data);
                let batch = real.dims()[0];
                let fake = self.generator.forward(self.noise(batch));
                // D sees the same generated batch as G, detached so that D's loss does not
                // reach the generator; G's loss does not reach D's weights.
                let d_loss = bce_with_logits(self.critic.forward(real), true)
                    + bce_with_logits(self.critic.forward(fake.clone().detach()), false);
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
                // only the generator's own update makes. Natively a fifth less time per step,
                // and no worse: row residual after 2,000 steps 0.033 / 0.073 / 0.105 (seeds
                // 1-3) against 0.106 / 0.087 / 0.046 with the training-mode fakes.
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
        self.step += 1;
        self.pending.push(Tensor::cat(vec![critic_loss.detach(), generator_loss.detach()], 0).inner());
    }

    /// Reads back the losses of the steps since the last call, in one transfer.
    pub async fn read_back(&mut self) -> Result<GanStepReport, LabError> {
        let pending = std::mem::take(&mut self.pending);
        let first_step = self.step + 1 - pending.len() as u64;
        let values = if pending.is_empty() { Vec::new() } else { read_f32(Tensor::cat(pending, 0)).await? };
        Ok(GanStepReport {
            first_step,
            critic_losses: values.iter().step_by(2).copied().collect(),
            generator_losses: values.iter().skip(1).step_by(2).copied().collect(),
            step: self.step,
            epoch: self.cursor.epoch(),
            epoch_progress: self.cursor.epoch_progress(),
        })
    }

    /// Images generated from `noise` (`[n * noise_dim]`, row-major) by the generator's moving
    /// average if there is one, else by the generator, in inference mode (BN's running
    /// statistics, as the reference's `predict`), `[n * side^2]`.
    pub async fn generate(&self, noise: &[f32]) -> Result<Vec<f32>, LabError> {
        let dim = self.generator.noise_dim();
        if noise.is_empty() || noise.len() % dim != 0 {
            return Err(LabError::invalid("noise", format!("noise must be a whole number of {dim}-value points")));
        }
        let device = self.device.clone().without_autodiff();
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
}

/// `n` points of standard normal noise of dimension `dim`, the same on every platform for a
/// seed: the fixed noise of the sample grids, so that successive grids show the same points.
pub fn fixed_noise(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::new(seed);
    (0..n * dim).map(|_| rng.normal() as f32).collect()
}

/// A GAN trainer of any of the three kinds: the one place that matches on the model types.
pub enum GanModelTrainer {
    Mnist(GanTrainer<MnistGenerator, MnistDiscriminator>),
    Poly(GanTrainer<PolyGenerator, PolyCritic>),
}

macro_rules! each_gan {
    ($self:expr, $t:ident => $body:expr) => {
        match $self {
            GanModelTrainer::Mnist($t) => $body,
            GanModelTrainer::Poly($t) => $body,
        }
    };
}

impl GanModelTrainer {
    /// Fresh models of `kind` with `layers` on `device` (an autodiff device), seeded by
    /// `config.seed`; `data` is what [`Self::step`] will get, checked here to fit the model.
    pub fn new(kind: GanKind, layers: GanLayers, device: Device, config: GanConfig, data: &dyn ImageSet) -> Result<Self, LabError> {
        let side = kind.side();
        if data.side() != [side, side] {
            let [h, w] = data.side();
            return Err(LabError::invalid("data", format!("this GAN makes {side}x{side} images but the data is {h}x{w}")));
        }
        device.seed(config.seed);
        let train_len = data.len();
        Ok(match kind {
            GanKind::DcganMnist => {
                let g = MnistGeneratorConfig::new().with_channels(layers.generator).init(&device);
                let d = MnistDiscriminatorConfig::new().with_channels(layers.critic).with_batch_norm(layers.critic_batch_norm).init(&device);
                Self::Mnist(GanTrainer::new(g, d, device, config, train_len)?)
            }
            GanKind::DcganPoly | GanKind::WganPoly => {
                let g = PolyGeneratorConfig::new().with_channels(layers.generator).init(&device);
                let d = PolyCriticConfig::new().with_width(layers.critic).init(&device);
                Self::Poly(GanTrainer::new(g, d, device, config, train_len)?)
            }
        })
    }

    pub fn config(&self) -> &GanConfig {
        each_gan!(self, t => t.config())
    }

    pub fn set_config(&mut self, config: GanConfig, train_len: usize) -> Result<(), LabError> {
        each_gan!(self, t => t.set_config(config, train_len))
    }

    pub fn noise_dim(&self) -> usize {
        each_gan!(self, t => t.generator().noise_dim())
    }

    pub fn step_count(&self) -> u64 {
        each_gan!(self, t => t.step_count())
    }

    pub fn flops_per_step(&self) -> f64 {
        each_gan!(self, t => t.flops_per_step())
    }

    pub fn state(&self) -> Result<TrainerState, LabError> {
        each_gan!(self, t => t.state())
    }

    pub fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        each_gan!(self, t => t.restore(state))
    }

    pub async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        each_gan!(self, t => t.snapshot(cpu).await)
    }

    pub fn step(&mut self, data: &dyn ImageSet) {
        each_gan!(self, t => t.step(data))
    }

    pub async fn read_back(&mut self) -> Result<GanStepReport, LabError> {
        each_gan!(self, t => t.read_back().await)
    }

    pub async fn generate(&self, noise: &[f32]) -> Result<Vec<f32>, LabError> {
        each_gan!(self, t => t.generate(noise).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{self, BackendKind};

    /// A generator update scores its images with the critic and takes the gradient through
    /// it to the images, but the backward pass holds no gradient for any critic weight.
    #[test]
    fn the_generator_update_sees_a_frozen_critic() {
        let device = backend::cpu(BackendKind::Flex, "test").device.autodiff();
        let (widths, config) = GanKind::WganPoly.preset(GanPreset::Live, 1);
        let generator = PolyGeneratorConfig::new().with_channels(widths.generator).init(&device);
        let critic = PolyCriticConfig::new().with_width(widths.critic).init(&device);
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
