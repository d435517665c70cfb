//! Step-wise training: a trainer owns its model, optimiser, data cursor and step count, so
//! a caller (the worker's loop, a test, a CLI) can run it a few steps at a time and look at
//! it in between. Losses stay on the device until [`Trainer::read_back`], which fetches all
//! pending ones in one asynchronous read (one GPU sync instead of one per step).

pub mod gan;
pub mod guard;
pub mod judge;

use burn::module::{ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Bytes;

use crate::checkpoint::{Checkpoint, load_record, record_bytes};
use crate::data::cursor::CursorState;
use crate::data::{EpochCursor, IMAGE_PIXELS, MnistSplit, SplitMix64};
use crate::error::LabError;
use crate::model::{Autoencoder, AutoencoderConfig, GanKind, LatentKind, LatentModel, Losses, ModelKind, Vae, VaeConfig};
use crate::settings::Settings;
use gan::{GanModelTrainer, ImageSet};

/// Keras' Adam epsilon (burn's default is 1e-5); the reference uses Keras defaults.
pub(crate) const ADAM_EPSILON: f32 = 1e-7;
/// A fresh Adam with Keras' settings, as the reference trains the autoencoders (and the judge).
pub(crate) fn keras_adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(ADAM_EPSILON).init()
}

/// Images per forward pass when evaluating or embedding: large enough to amortise dispatch,
/// small enough to keep activations modest on any device.
pub(crate) const EVAL_CHUNK: usize = 1000;

/// Optimisation settings a user can change.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Seeds the weight initialisation and the shuffling.
    pub seed: u64,
    /// Weight of the VAE's KL term (the reference's 0.01); other models ignore it.
    pub beta: f64,
}

impl TrainConfig {
    /// Refuses values that cannot train: a learning rate that is not a positive finite
    /// number, a batch size of zero or larger than the training set.
    pub fn validate(&self, train_len: usize) -> Result<(), LabError> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(LabError::invalid(
                "learningRate",
                format!("the learning rate must be a positive number, not {}", self.learning_rate),
            ));
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(LabError::invalid("beta", format!("beta must be a number of 0 or more, not {}", self.beta)));
        }
        if self.batch_size == 0 || self.batch_size > train_len {
            return Err(LabError::invalid(
                "batchSize",
                format!("the batch size must be between 1 and {train_len} (the training set), not {}", self.batch_size),
            ));
        }
        Ok(())
    }
}

/// Per-step figures read back since the previous read-back.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Step number of `losses[0]` (steps count from 1).
    pub first_step: u64,
    pub losses: Vec<f32>,
    /// Per-pixel reconstruction MSE of each step.
    pub mses: Vec<f32>,
    /// The KL term of each step, for the VAE.
    pub kls: Option<Vec<f32>>,
    pub accuracies: Option<Vec<f32>>,
    /// Steps done so far.
    pub step: u64,
    pub epoch: u64,
    pub epoch_progress: f64,
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

/// The figures of one batch as one tensor `[total, mse, accuracy?, kl?]`, so that many
/// batches can be read back in a single transfer.
fn columns(losses: Losses) -> Tensor<1> {
    let mut parts = vec![losses.total, losses.mse];
    parts.extend(losses.accuracy);
    parts.extend(losses.kl);
    Tensor::cat(parts, 0)
}

/// Splits `values` (rows of `[total, mse, accuracy?, kl?]`) into columns.
fn split_columns(values: &[f32], has_accuracy: bool, has_kl: bool) -> [Vec<f32>; 4] {
    let width = 2 + usize::from(has_accuracy) + usize::from(has_kl);
    let column = |i: usize| values.iter().skip(i).step_by(width).copied().collect::<Vec<f32>>();
    let kl_at = 2 + usize::from(has_accuracy);
    [
        column(0),
        column(1),
        if has_accuracy { column(2) } else { Vec::new() },
        if has_kl { column(kl_at) } else { Vec::new() },
    ]
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

pub(crate) fn optimizer_bytes(optim: &ModuleOptimizer) -> Result<Vec<u8>, LabError> {
    Ok(optim.into_bytes().map_err(|e| LabError::Checkpoint(format!("the optimiser state cannot be saved: {e}")))?.to_vec())
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

/// The optimiser records of `state` that can be loaded on `device` (see
/// [`optimizer_state_loads`]): all of them, or none.
pub(crate) fn loadable_optimizers<'a>(state: &'a TrainerState, device: &Device) -> &'a [Vec<u8>] {
    if optimizer_state_loads(device) { &state.optimizers } else { &[] }
}

/// Every float tensor of a module (parameters and BN running statistics), flattened, in the
/// order burn's visitors and mappers walk them.
struct Flatten(Vec<Tensor<1>>);

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten::<1>(0, D - 1));
    }
}

/// The float tensors of `module`, flattened, in the order burn walks them.
pub(crate) fn flattened<M: Module>(module: &M) -> Vec<Tensor<1>> {
    let mut flat = Flatten(Vec::new());
    module.visit(&mut flat);
    flat.0
}

/// Replaces each float tensor of a module by `f(tensor, other)` (both flattened), with
/// `other` the next of `others`, which come in [`flattened`]'s order.
struct ZipFlat<I, F> {
    others: I,
    f: F,
}

impl<I, F> burn::module::ModuleMapper for ZipFlat<I, F>
where
    I: Iterator<Item = Tensor<1>>,
    F: FnMut(Tensor<1>, Tensor<1>) -> Tensor<1>,
{
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        // Same module, same walk: there is one value per tensor (were there none, the tensor
        // would stay as it was rather than be made up).
        let value = match self.others.next() {
            Some(other) => {
                let dims = tensor.dims();
                (self.f)(tensor.flatten::<1>(0, D - 1), other).reshape(dims)
            }
            None => tensor,
        };
        Param::from_mapped_value(id, value, mapper)
    }
}

/// `module` with each float tensor replaced by `f(tensor, other)`, `others` being another
/// copy's tensors in [`flattened`]'s order (parameter ids unchanged).
pub(crate) fn zip_floats<M: Module>(
    module: M,
    others: impl Iterator<Item = Tensor<1>>,
    f: impl FnMut(Tensor<1>, Tensor<1>) -> Tensor<1>,
) -> M {
    module.map(&mut ZipFlat { others, f })
}

/// A copy of `module` (its weights and running statistics, under the same parameter ids) on
/// `device`, read asynchronously. burn's `to_device` and its records read tensors
/// synchronously, which WebGPU in a browser cannot; a CPU copy can then be recorded.
pub async fn copy_to<M: Module>(module: &M, device: &Device) -> Result<M, LabError> {
    let module = module.valid();
    let flat = flattened(&module);
    let mut data = Vec::with_capacity(flat.len());
    for tensor in flat {
        data.push(tensor.into_data_async().await.map_err(LabError::readback)?);
    }
    let copies = data.into_iter().map(|d| Tensor::<1>::from_data(d, device));
    Ok(zip_floats(module, copies, |_, copy| copy))
}

/// The parameters of a module by id, with their shapes.
struct ParamShapes(Vec<(u64, Vec<usize>)>);

impl ModuleVisitor for ParamShapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id.val(), param.lazy_shape().as_slice().to_vec()));
    }
}

/// `optim` with the state of `bytes`, an optimiser record of `module` (whose parameters must
/// already carry the ids the record was saved with, as loading a weights record restores them).
/// burn's loader trusts its input (a tensor without a parameter id panics, one of the wrong
/// shape fails at the next step), so every state tensor is checked first to belong to a
/// parameter of `module` and to have its shape (Adam's moments and RMSProp's averages do).
pub(crate) fn load_optimizer<M: Module>(optim: &ModuleOptimizer, module: &M, bytes: &[u8]) -> Result<ModuleOptimizer, String> {
    let tensors = burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
        .and_then(|r| r.into_tensors())
        .map_err(|e| format!("its optimiser state cannot be read: {e}"))?;
    let mut params = ParamShapes(Vec::new());
    module.visit(&mut params);
    for t in &tensors {
        let id = t.param_id.ok_or_else(|| format!("the optimiser state '{}' names no parameter", t.name))?;
        match params.0.iter().find(|(p, _)| *p == id) {
            Some((_, shape)) if shape.as_slice() == t.shape.as_slice() => {}
            Some((_, shape)) => {
                return Err(format!("the optimiser state '{}' has shape {:?}, its parameter {shape:?}", t.name, t.shape.as_slice()));
            }
            None => return Err(format!("the optimiser state '{}' belongs to a parameter this model does not have", t.name)),
        }
    }
    optim.clone().from_bytes(Bytes::from_bytes_vec(bytes.to_vec())).map_err(|e| format!("its optimiser state cannot be read: {e}"))
}

/// The data cursor of a resumed run, or the seed's first epoch when the state has none.
pub(crate) fn resume_cursor(train_len: usize, seed: u64, state: Option<CursorState>) -> Result<EpochCursor, LabError> {
    match state {
        None => Ok(EpochCursor::new(train_len, seed)),
        Some(s) => EpochCursor::resume(train_len, seed, s).ok_or_else(|| {
            LabError::Checkpoint(format!("its data position (epoch {}, index {}) does not fit {train_len} training images", s.epoch, s.pos))
        }),
    }
}

pub struct Trainer<M: LatentModel> {
    model: M,
    /// The autodiff device the model trains on.
    device: Device,
    optim: ModuleOptimizer,
    cursor: EpochCursor,
    config: TrainConfig,
    step: u64,
    /// `columns` of the steps not yet read back.
    pending: Vec<Tensor<1>>,
    has_accuracy: bool,
    has_kl: bool,
}

impl<M: LatentModel> Trainer<M> {
    /// `model` must live on `device`, an autodiff device.
    pub fn new(model: M, device: Device, config: TrainConfig, train_len: usize) -> Result<Self, LabError> {
        config.validate(train_len)?;
        Ok(Self {
            model,
            device,
            optim: keras_adam(),
            cursor: EpochCursor::new(train_len, config.seed),
            config,
            step: 0,
            pending: Vec::new(),
            has_accuracy: false,
            has_kl: false,
        })
    }

    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Changes learning rate and batch size between steps; the optimiser keeps its moments.
    pub fn set_config(&mut self, config: TrainConfig, train_len: usize) -> Result<(), LabError> {
        config.validate(train_len)?;
        self.config = config;
        Ok(())
    }

    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Floating-point operations of one step (see [`flops`]): one forward and backward pass.
    pub fn flops_per_step(&self) -> f64 {
        flops(3.0 * self.model.macs() as f64, self.config.batch_size)
    }

    pub fn model(&self) -> &M {
        &self.model
    }

    pub fn state(&self) -> Result<TrainerState, LabError> {
        Ok(TrainerState {
            weights: vec![record_bytes(&self.model).map_err(LabError::Checkpoint)?],
            optimizers: vec![optimizer_bytes(&self.optim)?],
            step: self.step,
            cursor: Some(self.cursor.state()),
        })
    }

    /// [`Self::state`] without the optimiser's, read asynchronously through a copy on `cpu`:
    /// what can be saved of a run on WebGPU in a browser (see [`copy_to`]).
    pub async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        Ok(TrainerState {
            weights: vec![record_bytes(&copy_to(&self.model, cpu).await?).map_err(LabError::Checkpoint)?],
            optimizers: Vec::new(),
            step: self.step,
            cursor: Some(self.cursor.state()),
        })
    }

    /// Takes up `state` (from [`Self::state`] of the same architecture and seed; without
    /// optimiser records the optimiser starts afresh). Nothing changes on an error.
    pub fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        let [record] = &state.weights[..] else {
            return Err(LabError::Checkpoint(format!("an autoencoder has one record of weights, not {}", state.weights.len())));
        };
        let model = load_record(self.model.clone(), record).map_err(LabError::Checkpoint)?;
        let optim = match loadable_optimizers(state, &self.device) {
            [] => keras_adam(),
            [bytes] => load_optimizer(&self.optim, &model, bytes).map_err(LabError::Checkpoint)?,
            other => return Err(LabError::Checkpoint(format!("an autoencoder has one optimiser, not {}", other.len()))),
        };
        let cursor = resume_cursor(self.cursor.len(), self.config.seed, state.cursor)?;
        (self.model, self.optim, self.cursor, self.step) = (model, optim, cursor, state.step);
        self.pending.clear();
        Ok(())
    }

    /// Where the gradient-free copy of the model (`Module::valid`) computes.
    fn inference_device(&self) -> Device {
        self.device.clone().without_autodiff()
    }

    /// One optimisation step on the next batch of `data`. Nothing is read back.
    pub fn step(&mut self, data: &MnistSplit) {
        self.device.seed(step_seed(self.config.seed, self.step));
        let batch = data.batch(&self.cursor.next_batch(self.config.batch_size), &self.device);
        let losses = self.model.losses(&batch, self.config.beta);
        let grads = GradientsParams::from_grads(losses.total.backward(), &self.model);
        self.model = self.optim.step(self.config.learning_rate, self.model.clone(), grads);
        self.step += 1;
        self.has_accuracy = losses.accuracy.is_some();
        self.has_kl = losses.kl.is_some();
        self.pending.push(columns(losses).inner());
    }

    /// Reads back the losses of the steps since the last call, in one transfer.
    pub async fn read_back(&mut self) -> Result<StepReport, LabError> {
        let pending = std::mem::take(&mut self.pending);
        let first_step = self.step + 1 - pending.len() as u64;
        let values = if pending.is_empty() { Vec::new() } else { read_f32(Tensor::cat(pending, 0)).await? };
        let [losses, mses, accuracies, kls] = split_columns(&values, self.has_accuracy, self.has_kl);
        Ok(StepReport {
            first_step,
            losses,
            mses,
            kls: self.has_kl.then_some(kls),
            accuracies: self.has_accuracy.then_some(accuracies),
            step: self.step,
            epoch: self.cursor.epoch(),
            epoch_progress: self.cursor.epoch_progress(),
        })
    }

    /// Loss, MSE, KL and accuracy on all of `data`, without gradients.
    pub async fn evaluate(&self, data: &MnistSplit) -> Result<EvalReport, LabError> {
        let model = self.model.valid();
        let device = self.inference_device();
        let mut sums: Option<Tensor<1>> = None;
        let (mut has_accuracy, mut has_kl) = (false, false);
        for start in (0..data.len()).step_by(EVAL_CHUNK) {
            let indices: Vec<usize> = (start..(start + EVAL_CHUNK).min(data.len())).collect();
            let n = indices.len() as f64;
            let losses = model.losses(&data.batch(&indices, &device), self.config.beta);
            has_accuracy = losses.accuracy.is_some();
            has_kl = losses.kl.is_some();
            // Weighted by the chunk's size so a short last chunk counts for what it holds.
            let chunk = columns(losses).mul_scalar(n);
            sums = Some(match sums {
                Some(s) => s + chunk,
                None => chunk,
            });
        }
        let sums = sums.ok_or(LabError::NoData)?;
        let v: Vec<f32> = read_f32(sums).await?.iter().map(|s| s / data.len() as f32).collect();
        let [loss, mse, accuracy, kl] = split_columns(&v, has_accuracy, has_kl);
        Ok(EvalReport { loss: loss[0], mse: mse[0], kl: kl.first().copied(), accuracy: accuracy.first().copied(), count: data.len() })
    }

    /// Latent points of every image of `data`, interleaved `[x0, y0, x1, y1, ...]`: the
    /// posterior means when `mean`, else the codes the model samples.
    pub async fn embed(&self, data: &MnistSplit, mean: bool) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let device = self.inference_device();
        let chunks = (0..data.len())
            .step_by(EVAL_CHUNK)
            .map(|start| {
                let indices: Vec<usize> = (start..(start + EVAL_CHUNK).min(data.len())).collect();
                let images = data.batch(&indices, &device).images;
                if mean { model.embed_mean(images) } else { model.embed(images) }
            })
            .collect::<Vec<_>>();
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        read_f32(Tensor::cat(chunks, 0)).await
    }

    /// The images decoded from latent points `[x0, y0, x1, y1, ...]`: 784 values in [0, 1]
    /// each, concatenated.
    pub async fn decode(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let z = Tensor::from_data(TensorData::new(points.to_vec(), [points.len() / 2, 2]), &self.inference_device());
        read_f32(model.decode(z)).await
    }

    /// Reconstructions of the images at `indices` of `data`: 784 values each, concatenated.
    pub async fn reconstruct(&self, data: &MnistSplit, indices: &[usize]) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let images = data.batch(indices, &self.inference_device()).images;
        let out = read_f32(model.reconstruct(images)).await?;
        debug_assert_eq!(out.len(), indices.len() * IMAGE_PIXELS);
        Ok(out)
    }
}

/// Reads a tensor back as f32, asynchronously (the only way on WebGPU).
pub async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, LabError> {
    let data = t.into_data_async().await.map_err(LabError::readback)?;
    Ok(data.iter::<f32>().collect())
}

/// A trainer of any of the latent models. The one `match` over model types is the macro
/// below; everything else treats "an autoencoder-like model with a 2-D latent" alike.
pub enum LatentTrainer {
    Autoencoder(Trainer<Autoencoder>),
    Vae(Trainer<Vae>),
}

macro_rules! each_trainer {
    ($self:expr, $t:ident => $body:expr) => {
        match $self {
            LatentTrainer::Autoencoder($t) => $body,
            LatentTrainer::Vae($t) => $body,
        }
    };
}

impl LatentTrainer {
    /// A fresh model of `kind` on `device` (an autodiff device), seeded by `config.seed`.
    pub fn new(kind: LatentKind, device: Device, config: TrainConfig, train_len: usize) -> Result<Self, LabError> {
        device.seed(config.seed);
        let classifier = kind.has_classifier();
        Ok(match kind {
            LatentKind::Autoencoder | LatentKind::AutoencoderClassifier => {
                let model = AutoencoderConfig::new().with_classifier(classifier).init(&device);
                Self::Autoencoder(Trainer::new(model, device, config, train_len)?)
            }
            LatentKind::Vae | LatentKind::VaeClassifier => {
                let model = VaeConfig::new().with_classifier(classifier).init(&device);
                Self::Vae(Trainer::new(model, device, config, train_len)?)
            }
        })
    }

    pub fn set_config(&mut self, config: TrainConfig, train_len: usize) -> Result<(), LabError> {
        each_trainer!(self, t => t.set_config(config, train_len))
    }

    pub fn state(&self) -> Result<TrainerState, LabError> {
        each_trainer!(self, t => t.state())
    }

    pub fn step_count(&self) -> u64 {
        each_trainer!(self, t => t.step_count())
    }

    pub fn flops_per_step(&self) -> f64 {
        each_trainer!(self, t => t.flops_per_step())
    }

    pub fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        each_trainer!(self, t => t.restore(state))
    }

    pub async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        each_trainer!(self, t => t.snapshot(cpu).await)
    }

    pub fn step(&mut self, data: &MnistSplit) {
        each_trainer!(self, t => t.step(data))
    }

    pub async fn read_back(&mut self) -> Result<StepReport, LabError> {
        each_trainer!(self, t => t.read_back().await)
    }

    pub async fn evaluate(&self, data: &MnistSplit) -> Result<EvalReport, LabError> {
        each_trainer!(self, t => t.evaluate(data).await)
    }

    pub async fn embed(&self, data: &MnistSplit, mean: bool) -> Result<Vec<f32>, LabError> {
        each_trainer!(self, t => t.embed(data, mean).await)
    }

    pub async fn decode(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        each_trainer!(self, t => t.decode(points).await)
    }

    pub async fn reconstruct(&self, data: &MnistSplit, indices: &[usize]) -> Result<Vec<f32>, LabError> {
        each_trainer!(self, t => t.reconstruct(data, indices).await)
    }
}

/// A trainer of any of the seven models: what the page's session and the command line drive.
pub enum ModelTrainer {
    Latent(LatentTrainer),
    Gan(GanKind, GanModelTrainer),
}

impl ModelTrainer {
    /// A fresh model and optimiser for `settings` on `device` (an autodiff device); `data` is
    /// the model's training set (MNIST, or polynomial images for the polynomial GANs).
    pub fn new(settings: &Settings, device: Device, data: &dyn ImageSet) -> Result<Self, LabError> {
        Ok(match settings.model {
            ModelKind::Latent(kind) => Self::Latent(LatentTrainer::new(kind, device, settings.latent.clone(), data.len())?),
            ModelKind::Gan(kind) => {
                let layers = settings.gan_layers(kind);
                Self::Gan(kind, GanModelTrainer::new(kind, layers, device, settings.gan.clone(), data)?)
            }
        })
    }

    /// The settings now in force and the step count go in as they are: `settings` must be the
    /// ones this trainer was made with (architecture and seed).
    pub fn checkpoint(&self, settings: &Settings) -> Result<Checkpoint, LabError> {
        let state = match self {
            Self::Latent(t) => t.state()?,
            Self::Gan(_, t) => t.state()?,
        };
        Ok(Checkpoint::new(settings.input(), state))
    }

    /// [`Self::checkpoint`] without the optimisers' state, read asynchronously through a copy
    /// on `cpu`: what can be saved of a run on WebGPU in a browser (see [`copy_to`]).
    pub async fn snapshot(&self, settings: &Settings, cpu: &Device) -> Result<Checkpoint, LabError> {
        let state = match self {
            Self::Latent(t) => t.snapshot(cpu).await?,
            Self::Gan(_, t) => t.snapshot(cpu).await?,
        };
        Ok(Checkpoint::new(settings.input(), state))
    }

    pub fn step_count(&self) -> u64 {
        match self {
            Self::Latent(t) => t.step_count(),
            Self::Gan(_, t) => t.step_count(),
        }
    }

    /// Floating-point operations of one training step, what the benchmark divides by time.
    pub fn flops_per_step(&self) -> f64 {
        match self {
            Self::Latent(t) => t.flops_per_step(),
            Self::Gan(_, t) => t.flops_per_step(),
        }
    }

    /// Takes the numbers of `settings` (of this trainer's model) between steps.
    pub fn set_config(&mut self, settings: &Settings, train_len: usize) -> Result<(), LabError> {
        match self {
            Self::Latent(t) => t.set_config(settings.latent.clone(), train_len),
            Self::Gan(_, t) => t.set_config(settings.gan.clone(), train_len),
        }
    }

    /// Takes up the run of `checkpoint` (weights, optimiser state, step and data position),
    /// which must be of this trainer's model, architecture and seed (see
    /// [`Checkpoint::settings`]): the next step is the one the saved run would have taken
    /// (where [`optimizer_state_loads`]; elsewhere the optimiser starts afresh). Nothing
    /// changes on an error.
    pub fn restore(&mut self, checkpoint: &Checkpoint) -> Result<(), LabError> {
        let state = checkpoint.state();
        match self {
            Self::Latent(t) => t.restore(&state),
            Self::Gan(_, t) => t.restore(&state),
        }
    }
}
