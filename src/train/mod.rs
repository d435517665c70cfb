//! Step-wise training: a trainer owns its networks, optimisers, data order and step count,
//! so a caller (the session, a test, the command line) can run it a few steps at a time and
//! look at it in between. Figures stay on the device until [`ModelTrainer::read_back`], which
//! fetches all pending ones in one asynchronous read (one GPU sync instead of one per step).
//!
//! The two trainers, [`LatentTrainer`] and [`GanTrainer`], share their skeleton ([`Run`]:
//! device, seed, data order, step count, pending figures) and one interface ([`Train`]);
//! [`ModelTrainer`] is the one place that matches on the concrete networks.

pub mod gan;
pub mod guard;
pub mod judge;
pub mod latent;
mod modules;

use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::prelude::*;

use crate::data::cursor::CursorState;
use crate::data::{EpochCursor, Split, SplitMix64, TrainSet};
use crate::error::{LabError, shown};
use crate::model::gan::{ConvGenerator, MnistDiscriminator, PolyCritic};
use crate::model::{Autoencoder, GanKind, LatentKind, Vae};

pub use gan::{GanConfig, GanLayers, GanRule, GanTrainer};
pub use latent::{Encoding, LatentTrainer, TrainConfig};
pub use modules::copy_to;
pub(crate) use modules::{flattened, zip_floats};

/// Keras' epsilon for Adam and RMSprop (burn's defaults differ); the reference uses Keras'
/// defaults.
pub(crate) const KERAS_EPSILON: f32 = 1e-7;

/// A fresh Adam with Keras' settings, as the reference trains the autoencoders (and the judge).
pub(crate) fn keras_adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(KERAS_EPSILON).init()
}

/// Images per forward pass when evaluating or embedding: large enough to amortise dispatch,
/// small enough to keep activations modest on any device.
pub(crate) const EVAL_CHUNK: usize = 1000;

/// Refuses a learning rate that is not a positive finite number.
pub(crate) fn check_rate(field: &'static str, rate: f64) -> Result<(), LabError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(LabError::invalid(field, format!("the learning rate must be a positive number, not {}", shown(rate))))
    }
}

/// Refuses a batch of no images or of more than the training set holds.
pub(crate) fn check_batch(batch_size: usize, train_len: usize) -> Result<(), LabError> {
    if (1..=train_len).contains(&batch_size) {
        Ok(())
    } else {
        Err(LabError::invalid(
            "batchSize",
            format!("the batch size must be between 1 and {train_len} (the training set), not {batch_size}"),
        ))
    }
}

/// A per-step figure a trainer reads back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// What an autoencoder's optimiser minimises.
    Loss,
    /// Mean squared reconstruction error per pixel.
    Mse,
    /// Fraction of the batch the latent classifier gets right.
    Accuracy,
    /// The VAE's KL term averaged over the batch.
    Kl,
    /// The discriminator's (critic's) loss; for the WGAN, mean D(fake) - mean D(real) of its
    /// last critic update, so that minus it is the critic's estimate of the Wasserstein distance.
    CriticLoss,
    GeneratorLoss,
}

impl Figure {
    /// The figure's name in metrics files and reports ("loss").
    pub fn name(self) -> &'static str {
        match self {
            Self::Loss => "loss",
            Self::Mse => "mse",
            Self::Accuracy => "accuracy",
            Self::Kl => "kl",
            Self::CriticLoss => "criticLoss",
            Self::GeneratorLoss => "generatorLoss",
        }
    }

    /// The name of its per-step series in the page's step reports ("losses").
    pub fn series(self) -> &'static str {
        match self {
            Self::Loss => "losses",
            Self::Mse => "mses",
            Self::Accuracy => "accuracies",
            Self::Kl => "kls",
            Self::CriticLoss => "criticLosses",
            Self::GeneratorLoss => "generatorLosses",
        }
    }

    /// Whether a divergence is judged by it (a loss the optimiser follows).
    pub fn is_loss(self) -> bool {
        matches!(self, Self::Loss | Self::CriticLoss | Self::GeneratorLoss)
    }
}

/// Per-step figures read back since the previous read-back.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Step number of the first value of each series (steps count from 1).
    pub first_step: u64,
    /// One value per step for each figure the model reports.
    pub series: Vec<(Figure, Vec<f32>)>,
    /// Steps done so far.
    pub step: u64,
    pub epoch: u64,
    pub epoch_progress: f64,
}

impl StepReport {
    pub fn get(&self, figure: Figure) -> Option<&[f32]> {
        self.series.iter().find(|(f, _)| *f == figure).map(|(_, v)| v.as_slice())
    }
}

/// Test-set figures.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub loss: f32,
    pub mse: f32,
    pub kl: Option<f32>,
    pub accuracy: Option<f32>,
    pub count: usize,
}

/// Floating-point operations of `macs` multiply-adds per image (summed over the passes a
/// step makes) over `batch` images: two per multiply-add, a backward pass counting as two
/// forward ones (the gradients of the inputs and of the weights). Elementwise work
/// (activations, batch norm, losses, the optimiser) is left out: it is small beside the matrix
/// products, and the benchmark's floor is what SIMD matrix products alone would take.
pub fn flops(macs: f64, batch: usize) -> f64 {
    2.0 * macs * batch as f64
}

/// What a trainer holds besides its settings: enough for a reloaded run to take exactly the
/// step the uninterrupted one would have taken next.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerState {
    /// burn records (burnpack) of the networks: the model, or the generator and the critic.
    pub weights: Vec<Vec<u8>>,
    /// burn records of their optimisers, in the same order; none: the optimisers start afresh.
    pub optimizers: Vec<Vec<u8>>,
    pub step: u64,
    /// None: the data order starts from the seed's first epoch.
    pub cursor: Option<CursorState>,
}

/// The seed of burn's RNG for step `step` of a run seeded `seed`. Every step reseeds, so the
/// noise, dropout masks and VAE samples of a step depend on the run and the step alone: a
/// resumed run draws what the uninterrupted one would have (burn's RNG state itself cannot be
/// saved).
pub(crate) fn step_seed(seed: u64, step: u64) -> u64 {
    SplitMix64::new(seed ^ step.wrapping_mul(0xd1b5_4a32_d192_ed03)).next_u64()
}

/// Whether optimiser state can be loaded for training on `device`. burn 0.22's
/// `ModuleOptimizer::load_record` builds the state on burn's default device and moves it to
/// the parameters' device at the next step. With the `gpu` feature that default is wgpu: in
/// the page's WebGPU build a CPU session has not started it (creating a tensor there panics),
/// and natively it is the machine's GPU. Without the feature (the page's CPU build, the native
/// default) it is burn-flex. So the state is loaded only when training runs on that default
/// device; elsewhere the optimiser starts afresh while weights, step, data order and random
/// draws still resume.
pub fn optimizer_state_loads(device: &Device) -> bool {
    device.clone().without_autodiff() == Device::default()
}

/// The skeleton every trainer shares: the autodiff device it trains on, the run's seed, the
/// shuffled data order, the step count and the figures of the steps not yet read back.
pub(crate) struct Run {
    pub device: Device,
    pub seed: u64,
    pub cursor: EpochCursor,
    pub step: u64,
    /// One row of the figures in `figures` per step.
    pending: Vec<Tensor<1>>,
    figures: Vec<Figure>,
}

impl Run {
    pub fn new(device: Device, seed: u64, train_len: usize) -> Self {
        Self { device, seed, cursor: EpochCursor::new(train_len, seed), step: 0, pending: Vec::new(), figures: Vec::new() }
    }

    /// Reseeds burn's RNG and the dropout masks for the next step (see [`step_seed`]).
    pub fn seed_step(&self) {
        let seed = step_seed(self.seed, self.step);
        self.device.seed(seed);
        crate::model::dropout::seed(seed);
    }

    /// Ends a step whose figures are `figures` (each a one-value tensor); nothing is read back.
    pub fn finish_step(&mut self, figures: Vec<(Figure, Tensor<1>)>) {
        self.figures = figures.iter().map(|(f, _)| *f).collect();
        let row = Tensor::cat(figures.into_iter().map(|(_, t)| t.detach()).collect(), 0);
        self.pending.push(row.inner());
        self.step += 1;
    }

    /// Reads back the figures of the steps since the last call, in one transfer.
    pub async fn read_back(&mut self) -> Result<StepReport, LabError> {
        let pending = std::mem::take(&mut self.pending);
        let first_step = self.step + 1 - pending.len() as u64;
        let values = if pending.is_empty() { Vec::new() } else { read_f32(Tensor::cat(pending, 0)).await? };
        let width = self.figures.len().max(1);
        let series =
            (self.figures.iter().enumerate()).map(|(i, &f)| (f, values.iter().skip(i).step_by(width).copied().collect())).collect();
        Ok(StepReport { first_step, series, step: self.step, epoch: self.cursor.epoch(), epoch_progress: self.cursor.epoch_progress() })
    }

    /// The step and data position of `weights` and `optimizers`, as a state to save.
    pub fn state(&self, weights: Vec<Vec<u8>>, optimizers: Vec<Vec<u8>>) -> TrainerState {
        TrainerState { weights, optimizers, step: self.step, cursor: Some(self.cursor.state()) }
    }

    /// The optimiser records of `state` that can be loaded on this run's device (see
    /// [`optimizer_state_loads`]): all of them, or none.
    pub fn loadable_optimizers<'a>(&self, state: &'a TrainerState) -> &'a [Vec<u8>] {
        if optimizer_state_loads(&self.device) { &state.optimizers } else { &[] }
    }

    /// The data order of `state`, checked to fit this run's training set; then
    /// [`Self::resume`] takes it up. Split so that a trainer changes nothing on an error.
    pub fn cursor_for(&self, state: &TrainerState) -> Result<EpochCursor, LabError> {
        let len = self.cursor.len();
        match state.cursor {
            None => Ok(EpochCursor::new(len, self.seed)),
            Some(s) => EpochCursor::resume(len, self.seed, s).ok_or_else(|| {
                LabError::Checkpoint(format!("its data position (epoch {}, index {}) does not fit {len} training images", s.epoch, s.pos))
            }),
        }
    }

    pub fn resume(&mut self, cursor: EpochCursor, step: u64) {
        (self.cursor, self.step) = (cursor, step);
        self.pending.clear();
    }
}

/// Reads a tensor back as f32, asynchronously (the only way on WebGPU).
pub async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, LabError> {
    let data = t.into_data_async().await.map_err(LabError::readback)?;
    Ok(data.iter::<f32>().collect())
}

/// What every trainer does, whatever its networks: the interface [`ModelTrainer`] dispatches.
/// A request a trainer's model cannot answer (a latent code of a GAN) is an error.
#[allow(async_fn_in_trait)] // used only through ModelTrainer, never as a trait object
pub trait Train {
    fn step_count(&self) -> u64;
    /// Floating-point operations of one step (see [`flops`]).
    fn flops_per_step(&self) -> f64;
    /// One optimisation step on the next batch of `data`. Nothing is read back.
    fn step(&mut self, data: TrainSet<'_>) -> Result<(), LabError>;
    /// The figures of the steps since the last call, in one transfer.
    async fn read_back(&mut self) -> Result<StepReport, LabError>;
    /// Weights, optimiser state, step and data position.
    fn state(&self) -> Result<TrainerState, LabError>;
    /// [`Self::state`] without the optimisers', read asynchronously through copies on `cpu`:
    /// what can be saved of a run on WebGPU in a browser (see [`copy_to`]).
    async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError>;
    /// Takes up `state` (of the same architecture and seed; without optimiser records the
    /// optimisers start afresh). Nothing changes on an error.
    fn restore(&mut self, state: &TrainerState) -> Result<(), LabError>;
    /// Images at 2-D points `[x0, y0, ...]` of the model's plane: decoded latent points, or
    /// generated from 2-D noise; `side`^2 values each, concatenated.
    async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError>;
    /// Images generated from `noise` (`[n * noise_dim]`), for the models that generate.
    async fn generate(&self, noise: &[f32]) -> Result<Vec<f32>, LabError>;
    /// The dimension of the generator's noise; none for the autoencoders.
    fn noise_dim(&self) -> Option<usize>;
    /// Loss, MSE, KL and accuracy on all of `data`, for the autoencoders.
    async fn evaluate(&self, data: &Split) -> Result<EvalReport, LabError>;
    /// Latent points of `data`, `[x0, y0, ...]`: posterior means when `mean`.
    async fn embed(&self, data: &Split, mean: bool) -> Result<Vec<f32>, LabError>;
    /// Reconstructions of the images at `indices` of `data`, concatenated.
    async fn reconstruct(&self, data: &Split, indices: &[usize]) -> Result<Vec<f32>, LabError>;
}

/// Which networks a trainer trains and how: what [`ModelTrainer::new`] builds from.
#[derive(Debug, Clone, PartialEq)]
pub enum Recipe {
    Latent(LatentKind, TrainConfig),
    Gan(GanKind, GanLayers, GanConfig),
}

/// A trainer of any of the seven models: the one place that matches on the networks. A
/// session holds one and never moves it in bulk, so its size is no cost.
#[allow(clippy::large_enum_variant)]
pub enum ModelTrainer {
    Autoencoder(LatentTrainer<Autoencoder>),
    Vae(LatentTrainer<Vae>),
    MnistGan(GanTrainer<ConvGenerator, MnistDiscriminator>),
    PolyGan(GanTrainer<ConvGenerator, PolyCritic>),
}

macro_rules! each {
    ($self:expr, $t:ident => $body:expr) => {
        match $self {
            ModelTrainer::Autoencoder($t) => $body,
            ModelTrainer::Vae($t) => $body,
            ModelTrainer::MnistGan($t) => $body,
            ModelTrainer::PolyGan($t) => $body,
        }
    };
}

impl ModelTrainer {
    /// Fresh networks and optimisers for `recipe` on `device` (an autodiff device), seeded by
    /// the recipe's seed; `data` is what [`Self::step`] will get, checked here to fit.
    pub fn new(recipe: &Recipe, device: Device, data: TrainSet<'_>) -> Result<Self, LabError> {
        let train_len = data.len();
        Ok(match recipe.clone() {
            Recipe::Latent(kind, config) => {
                device.seed(config.seed);
                if kind.is_variational() {
                    Self::Vae(LatentTrainer::new(Vae::new(kind.shape(), &device), device, config, train_len)?)
                } else {
                    Self::Autoencoder(LatentTrainer::new(Autoencoder::new(kind.shape(), &device), device, config, train_len)?)
                }
            }
            Recipe::Gan(kind, layers, config) => {
                let side = kind.side();
                if data.side() != [side, side] {
                    let [h, w] = data.side();
                    return Err(LabError::invalid("data", format!("this GAN makes {side}x{side} images but the data is {h}x{w}")));
                }
                device.seed(config.seed);
                match kind {
                    GanKind::DcganMnist => {
                        let (g, d) = layers.mnist();
                        Self::MnistGan(GanTrainer::new(g.init(&device), d.init(&device), device, config, train_len)?)
                    }
                    GanKind::DcganPoly | GanKind::WganPoly => {
                        let (g, d) = layers.poly();
                        Self::PolyGan(GanTrainer::new(g.init(&device), d.init(&device), device, config, train_len)?)
                    }
                }
            }
        })
    }

    /// Takes the numbers of `recipe` (this trainer's model) between steps; the optimisers
    /// keep their state.
    pub fn set_config(&mut self, recipe: &Recipe, train_len: usize) -> Result<(), LabError> {
        match (self, recipe) {
            (Self::Autoencoder(t), Recipe::Latent(_, c)) => t.set_config(c.clone(), train_len),
            (Self::Vae(t), Recipe::Latent(_, c)) => t.set_config(c.clone(), train_len),
            (Self::MnistGan(t), Recipe::Gan(_, _, c)) => t.set_config(c.clone(), train_len),
            (Self::PolyGan(t), Recipe::Gan(_, _, c)) => t.set_config(c.clone(), train_len),
            _ => Err(LabError::invalid("model", "these settings are of another model: start a new run")),
        }
    }

    pub fn step_count(&self) -> u64 {
        each!(self, t => t.step_count())
    }

    pub fn flops_per_step(&self) -> f64 {
        each!(self, t => t.flops_per_step())
    }

    pub fn step(&mut self, data: TrainSet<'_>) -> Result<(), LabError> {
        each!(self, t => t.step(data))
    }

    pub async fn read_back(&mut self) -> Result<StepReport, LabError> {
        each!(self, t => t.read_back().await)
    }

    pub fn state(&self) -> Result<TrainerState, LabError> {
        each!(self, t => t.state())
    }

    pub async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        each!(self, t => t.snapshot(cpu).await)
    }

    pub fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        each!(self, t => t.restore(state))
    }

    pub async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        each!(self, t => t.images_at(points).await)
    }

    pub async fn generate(&self, noise: &[f32]) -> Result<Vec<f32>, LabError> {
        each!(self, t => t.generate(noise).await)
    }

    pub fn noise_dim(&self) -> Option<usize> {
        each!(self, t => t.noise_dim())
    }

    pub async fn evaluate(&self, data: &Split) -> Result<EvalReport, LabError> {
        each!(self, t => t.evaluate(data).await)
    }

    pub async fn embed(&self, data: &Split, mean: bool) -> Result<Vec<f32>, LabError> {
        each!(self, t => t.embed(data, mean).await)
    }

    pub async fn reconstruct(&self, data: &Split, indices: &[usize]) -> Result<Vec<f32>, LabError> {
        each!(self, t => t.reconstruct(data, indices).await)
    }

    /// One image of 784 values in [0, 1] through an autoencoder (see [`LatentTrainer::encode`]);
    /// a GAN has no encoder.
    pub async fn encode(&self, pixels: &[f32]) -> Result<Encoding, LabError> {
        match self {
            Self::Autoencoder(t) => t.encode(pixels).await,
            Self::Vae(t) => t.encode(pixels).await,
            Self::MnistGan(_) | Self::PolyGan(_) => {
                Err(LabError::invalid("model", "a GAN has no encoder: only the autoencoders place a drawing in their latent space"))
            }
        }
    }
}
