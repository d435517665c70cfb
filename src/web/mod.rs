//! The wasm-bindgen facade: one coarse `Session` that a Web Worker drives. Long-lived state
//! (data, model, optimiser) stays in Rust; JS gets small copyable results: plain objects,
//! `Float32Array`s and RGBA bytes. Every export returns a `Result` whose error is a JS
//! `Error` with `name` (the error kind) and, for bad control values, `field`.

use std::cell::RefCell;
use std::rc::Rc;

use burn::prelude::Device;
use js_sys::{Float32Array, Object, Promise, Reflect, Uint8Array, Uint8ClampedArray};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::{self, Backend, BackendKind, BackendRequest};
use crate::data::npy::{self, Images};
use crate::data::poly::POLY_SIDE;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistSplit, random_indices};
use crate::error::{ImagesError, LabError};
use crate::metrics::{self, PolyReference};
use crate::model::judge::{JUDGE_FEATURES, Judge};
use crate::model::{GanKind, ModelKind};
use crate::render::{bytes_to_rgba, gray_to_rgba, signed_to_rgba, tile};
use crate::settings::{Settings, SettingsInput};
use crate::checkpoint::Checkpoint;
use crate::train::guard::DivergenceGuard;
use crate::train::{LatentTrainer, ModelTrainer};
use crate::train::gan::{GanModelTrainer, ImageSet, METER_NOISE_SEED, fixed_noise};
use crate::train::judge::{RealDigits, digit_meters, real_digits};

/// Most steps one `train` call may run: the worker asks for tens; a runaway value would
/// block the worker (and so the page's controls) for minutes.
const MAX_STEPS_PER_CALL: u32 = 1000;

/// Test images evaluated between epochs and drawn in the scatter: a fixed random subset,
/// large enough for a stable figure, small enough to evaluate often on a CPU.
const EVAL_SUBSET: usize = 2000;
/// Most cells per side of a decoded manifold: 32 x 32 digits are already a 896 px image.
const MAX_MANIFOLD_SIDE: u32 = 32;
/// Most latent points one `decodePoints` call decodes.
const MAX_DECODE_POINTS: usize = 1024;
/// Most samples per side of a GAN's sample grid.
const MAX_GRID_SIDE: u32 = 16;
/// Seed of the fixed noise behind the sample grid: fixed so that successive grids show the
/// same points of the noise space as training goes.
const GRID_NOISE_SEED: u64 = 0x6e01;
/// Generated images the quality meters judge (and real ones they compare with).
const METER_SAMPLES: usize = metrics::PAIRWISE_IMAGES;
/// How often (at most) a snapshot of the run is taken to roll back to after a divergence.
const SNAPSHOT_EVERY_MS: f64 = 5000.0;
/// Polynomial images are drawn on a diverging scale that saturates here: a row of unit norm
/// over 40 pixels has an RMS of 0.16, its peaks rarely pass 0.35.
const POLY_DISPLAY_SCALE: f32 = 0.35;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
    run_constructors();
}

unsafe extern "C" {
    /// The static constructors wasm-ld collects (cubecl's IR registers its types through
    /// `inventory` in them).
    fn __wasm_call_ctors();
}

/// Runs the static constructors once. Without an explicit call somewhere in the module,
/// wasm-ld wraps EVERY export in a call to `__wasm_call_ctors`, so each call from JavaScript
/// (even an allocation) re-ran all of them: measured at about a sixth of the autoencoder's
/// training step in the page. Calling them here turns that wrapping off; `start` and
/// `Session::create` both call this, so tests that skip `start` still get them.
fn run_constructors() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: wasm-ld's synthesised function, safe to run once before any other Rust code
    // relies on what it registers; the Once makes it run exactly once.
    ONCE.call_once(|| unsafe { __wasm_call_ctors() });
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EvalOutput {
    loss: f32,
    mse: f32,
    kl: Option<f32>,
    accuracy: Option<f32>,
    count: usize,
}

struct State {
    /// The backend every model trains on.
    backend: Backend,
    settings: Settings,
    data: Option<LoadedData>,
    poly: Option<PolyData>,
    judge: Option<JudgeData>,
    trainer: Option<ModelTrainer>,
    /// What a divergence of the current run rolls back to; started over with each new run.
    recovery: Recovery,
}

/// The last good states of the run, kept in memory. A snapshot is trusted only once the
/// steps after it have read back finite losses: an update can leave NaN weights behind a
/// finite loss, and only the next step's loss shows it.
#[derive(Default)]
struct Recovery {
    guard: DivergenceGuard,
    /// The newest trusted snapshot; none: the run's start (its seed rebuilds it).
    good: Option<Checkpoint>,
    /// The newest snapshot, trusted after the next good read-back.
    candidate: Option<Checkpoint>,
    /// When the candidate was taken (`now_ms`).
    taken_at: f64,
}

struct LoadedData {
    mnist: Mnist,
    /// The fixed test subset for frequent evaluation and the scatter.
    subset: MnistSplit,
    /// Test indices of the reconstruction strip: the first example of each digit.
    strip: Vec<usize>,
}

/// Images for the polynomial GANs and the figures of the real data the meters compare with.
struct PolyData {
    images: Images,
    reference: PolyReference,
}

/// The frozen MNIST judge of the MNIST DCGAN's meters (models.md), and the real test digits'
/// figures its meters stand beside.
struct JudgeData {
    judge: Judge,
    /// Worked out at the first meters call after MNIST is loaded (forgotten when it changes).
    real: Option<RealDigits>,
}

/// The judge runs on the CPU whatever the GAN trains on: it looks at a few hundred small
/// images now and then, which costs less there than a GPU round trip; flex for its
/// convolutions.
fn judge_device() -> Device {
    backend::cpu(BackendKind::Flex, "the MNIST judge").device
}

/// How a model's images become pixels.
#[derive(Clone, Copy)]
enum Palette {
    /// [0, 1] grey (the autoencoders' sigmoid).
    Unit,
    /// [-1, 1] grey (the MNIST DCGAN's tanh).
    Tanh,
    /// Signed values on a diverging scale (polynomial images).
    Signed,
}

impl Palette {
    fn of(model: ModelKind) -> Self {
        match model {
            ModelKind::Latent(_) => Self::Unit,
            ModelKind::Gan(GanKind::DcganMnist) => Self::Tanh,
            ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => Self::Signed,
        }
    }

    fn rgba(self, values: &[f32]) -> Vec<u8> {
        match self {
            Self::Unit => gray_to_rgba(values),
            Self::Tanh => gray_to_rgba(&values.iter().map(|v| (v + 1.0) / 2.0).collect::<Vec<_>>()),
            Self::Signed => signed_to_rgba(values, POLY_DISPLAY_SCALE),
        }
    }
}

impl State {
    fn data(&self) -> Result<&LoadedData, LabError> {
        self.data.as_ref().ok_or(LabError::NoData)
    }

    fn trainer(&self) -> Result<&ModelTrainer, LabError> {
        self.trainer.as_ref().ok_or(missing_data(self.settings.model))
    }

    /// The autoencoder being trained; other models have no latent code to show.
    fn latent(&self) -> Result<&LatentTrainer, LabError> {
        match self.trainer()? {
            ModelTrainer::Latent(t) => Ok(t),
            ModelTrainer::Gan(..) => Err(not_for(self.settings.model, "a latent code of test images")),
        }
    }

    fn gan(&self) -> Result<(GanKind, &GanModelTrainer), LabError> {
        match self.trainer()? {
            ModelTrainer::Gan(kind, t) => Ok((*kind, t)),
            ModelTrainer::Latent(_) => Err(not_for(self.settings.model, "generated samples")),
        }
    }

    /// The training images of `model`, if loaded.
    fn train_set(&self, model: ModelKind) -> Option<&dyn ImageSet> {
        train_set(&self.data, &self.poly, model)
    }

    /// A fresh model and optimiser for the current settings, or none until its data is loaded.
    fn restart(&mut self) -> Result<(), LabError> {
        let model = self.settings.model;
        let device = self.backend.device.clone().autodiff();
        self.trainer = self.train_set(model).map(|data| ModelTrainer::new(&self.settings, device, data)).transpose()?;
        self.recovery = Recovery::default();
        Ok(())
    }

    /// A trainer for `settings` on `device` (an inference device), taking up the run of
    /// `from` when given; its model's data must be loaded.
    fn trainer_for(&self, settings: &Settings, device: &Device, from: Option<&Checkpoint>) -> Result<ModelTrainer, LabError> {
        let model = settings.model;
        let data = self.train_set(model).ok_or_else(|| missing_data(model))?;
        let mut trainer = ModelTrainer::new(settings, device.clone().autodiff(), data)?;
        if let Some(checkpoint) = from {
            trainer.restore(checkpoint)?;
        }
        Ok(trainer)
    }

    /// After a read-back of finite losses: the previous snapshot is now known good, and a new
    /// one is taken when the last is old enough.
    async fn keep_good_state(&mut self) -> Result<(), LabError> {
        let now = now_ms();
        let recovery = &mut self.recovery;
        if let Some(candidate) = recovery.candidate.take() {
            recovery.good = Some(candidate);
        }
        if recovery.good.is_none() || now - recovery.taken_at >= SNAPSHOT_EVERY_MS {
            self.recovery.candidate = Some(self.checkpoint().await?);
            self.recovery.taken_at = now;
        }
        Ok(())
    }

    /// The run as a checkpoint. On WebGPU the weights are read back asynchronously through a
    /// CPU copy and the optimiser state is left out: burn writes records, optimiser state
    /// included, by reading tensors synchronously, which a browser's GPU does not allow.
    async fn checkpoint(&self) -> Result<Checkpoint, LabError> {
        let trainer = self.trainer()?;
        if self.backend.kind == BackendKind::WebGpu {
            // A rollback snapshot of this very step and set-up holds what a new read-back would:
            // the weights change only by training (a new step), by a rollback (to that snapshot)
            // or with a new trainer (which clears them). So the autosave, after a train call
            // that often took one, need not read every weight back from the GPU again.
            let settings = self.settings.input();
            let mut kept = [&self.recovery.candidate, &self.recovery.good].into_iter().flatten();
            if let Some(kept) = kept.find(|c| c.header.step == trainer.step_count() && c.header.settings == settings) {
                return Ok(kept.clone());
            }
            trainer.snapshot(&self.settings, &backend::cpu(BackendKind::Flex, "snapshot").device).await
        } else {
            trainer.checkpoint(&self.settings)
        }
    }

    /// Images of the current model at 2-D points: decoded latent points for the
    /// autoencoders, generated images for the GANs whose noise is a plane.
    async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        match self.trainer()? {
            ModelTrainer::Latent(t) => t.decode(points).await,
            ModelTrainer::Gan(_, t) if t.noise_dim() == 2 => t.generate(points).await,
            ModelTrainer::Gan(..) => Err(LabError::invalid(
                "latent",
                format!("the model {} draws its noise from 100 dimensions, not a plane one can point at", self.settings.model.name()),
            )),
        }
    }
}

/// The training images of `model`, if loaded. A free function over the two data fields, so
/// that `train` can use it while it holds the trainer mutably.
fn train_set<'a>(data: &'a Option<LoadedData>, poly: &'a Option<PolyData>, model: ModelKind) -> Option<&'a dyn ImageSet> {
    match model {
        ModelKind::Latent(_) | ModelKind::Gan(GanKind::DcganMnist) => data.as_ref().map(|d| &d.mnist.train as &dyn ImageSet),
        ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => poly.as_ref().map(|p| &p.images as &dyn ImageSet),
    }
}

/// What is missing when `model` has no trainer: its data.
fn missing_data(model: ModelKind) -> LabError {
    match model {
        ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => LabError::NoPolydata,
        _ => LabError::NoData,
    }
}

/// A request that the current model cannot answer.
fn not_for(model: ModelKind, what: &str) -> LabError {
    LabError::invalid("model", format!("the model {} has no {what}", model.name()))
}

#[wasm_bindgen]
pub struct Session {
    state: Rc<RefCell<State>>,
}

#[wasm_bindgen]
impl Session {
    /// Starts a backend (`auto`, `webgpu`, `cpu`, `flex` or `ndarray`) and returns a session
    /// with no data yet. `auto` never fails: without WebGPU it uses the CPU and says why.
    pub async fn create(backend: String) -> Result<Session, JsValue> {
        run_constructors();
        let request: BackendRequest = backend.parse().map_err(js_error)?;
        let backend = backend::select(request).await;
        let state = State {
            backend,
            settings: Settings::default(),
            data: None,
            poly: None,
            judge: None,
            trainer: None,
            recovery: Recovery::default(),
        };
        Ok(Session { state: Rc::new(RefCell::new(state)) })
    }

    /// `{kind, label, reason}` of the backend the current model trains on.
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        let state = self.state.try_borrow().map_err(|_| busy())?;
        Ok(backend_object(&state.backend))
    }

    /// Parses the four MNIST IDX files (train images, train labels, test images, test
    /// labels; gzip accepted) and starts a model. A bad file leaves the session as it was.
    #[wasm_bindgen(js_name = loadMnist)]
    pub fn load_mnist(
        &self,
        train_images: &[u8],
        train_labels: &[u8],
        test_images: &[u8],
        test_labels: &[u8],
    ) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let mnist = Mnist::from_idx([train_images, train_labels, test_images, test_labels]).map_err(|e| js_error(e.into()))?;
        if mnist.train.is_empty() || mnist.test.is_empty() {
            return Err(js_error(LabError::NoData));
        }
        let subset = random_subset(&mnist.test, EVAL_SUBSET, 0x5eed);
        let strip = (0..10u8).filter_map(|d| (0..mnist.test.len()).find(|&i| mnist.test.label(i) == d)).collect();
        let summary = object(&[("train", mnist.train.len().into()), ("test", mnist.test.len().into())]);
        let previous = state.data.replace(LoadedData { mnist, subset, strip });
        // Batch size is checked against the training set, so a smaller set can refuse it.
        if let Err(e) = state.restart() {
            state.data = previous;
            return Err(js_error(e));
        }
        if let Some(judge) = state.judge.as_mut() {
            judge.real = None;
        }
        Ok(summary)
    }

    /// Loads the frozen MNIST judge (the weights `latent-lab judge` writes, burn's record
    /// format) that the MNIST DCGAN's meters need. Resolves to `{features}`. A damaged or
    /// foreign file is refused and the session keeps what it had.
    #[wasm_bindgen(js_name = loadJudge)]
    pub fn load_judge(&self, bytes: Vec<u8>) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let judge = Judge::from_bytes(bytes, &judge_device()).map_err(js_error)?;
        state.judge = Some(JudgeData { judge, real: None });
        Ok(object(&[("features", JUDGE_FEATURES.into())]))
    }

    /// Parses a .npy stack of 40x40 images (`<f4` or `<f8`, shape (count, 40, 40)) for the
    /// polynomial GANs, and starts the current model if it is one of them. `name` is the
    /// file's name for messages. Resolves to `{count, height, width, smoothness}`. A bad
    /// file leaves the session as it was.
    #[wasm_bindgen(js_name = loadPolydata)]
    pub fn load_polydata(&self, name: String, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let images = npy::read(bytes).map_err(|problem| js_error(ImagesError::Npy { file: name.clone(), problem }.into()))?;
        if images.count() == 0 {
            return Err(js_error(ImagesError::Empty { file: name }.into()));
        }
        if [images.height(), images.width()] != [POLY_SIDE; 2] {
            let (height, width) = (images.height(), images.width());
            return Err(js_error(ImagesError::WrongSide { file: name, height, width, side: POLY_SIDE }.into()));
        }
        let reference = PolyReference::of(&images);
        let summary = object(&[
            ("count", images.count().into()),
            ("height", images.height().into()),
            ("width", images.width().into()),
            ("smoothness", reference.smoothness.map_or(JsValue::NULL, JsValue::from)),
        ]);
        let previous = state.poly.replace(PolyData { images, reference });
        if let Err(e) = state.restart() {
            state.poly = previous;
            return Err(js_error(e));
        }
        Ok(summary)
    }

    /// Applies any subset of `{model, seed, batchSize, learningRate, beta}` (autoencoders) or
    /// `{model, seed, batchSize, preset, lrGenerator, lrCritic, nCritic, clip}` (GANs). Numbers
    /// change the running training; a new model, seed or GAN preset restarts it, and a new
    /// model starts from its preset (the paper's for the autoencoders, the live one for the
    /// GANs). Returns `{reset, ready, config}`: `ready` is false while the model's data is not
    /// loaded. Invalid values are refused and nothing changes.
    pub fn configure(&self, input: JsValue) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let input: SettingsInput = serde_wasm_bindgen::from_value(input)
            .map_err(|e| js_error(LabError::invalid("config", format!("the config is not understood: {e}"))))?;
        let (settings, reset) = state.settings.apply(&input, |model| state.train_set(model).map(|d| d.len())).map_err(js_error)?;
        let previous = std::mem::replace(&mut state.settings, settings);
        if reset || state.trainer.is_none() {
            if let Err(e) = state.restart() {
                state.settings = previous;
                return Err(js_error(e));
            }
        } else {
            let train_len = state.train_set(state.settings.model).map_or(usize::MAX, |d| d.len());
            let State { settings, trainer, .. } = &mut *state;
            if let Some(t) = trainer.as_mut() {
                t.set_config(settings, train_len).map_err(js_error)?;
            }
        }
        Ok(object(&[
            ("reset", reset.into()),
            ("ready", state.trainer.is_some().into()),
            ("config", to_js(&state.settings.output())?),
        ]))
    }

    /// The current settings: `{model, family, seed, preset, presetText, values, presetValues}`.
    pub fn config(&self) -> Result<JsValue, JsValue> {
        let state = self.state.try_borrow().map_err(|_| busy())?;
        to_js(&state.settings.output())
    }

    /// Floating-point operations of one training step of the current model (matrix products
    /// only, a backward pass counted as two forward ones), for the benchmark's FLOP rates.
    #[wasm_bindgen(js_name = flopsPerStep)]
    pub fn flops_per_step(&self) -> Result<f64, JsValue> {
        let state = self.state.try_borrow().map_err(|_| busy())?;
        let missing = missing_data(state.settings.model);
        Ok(state.trainer.as_ref().ok_or_else(|| js_error(missing))?.flops_per_step())
    }

    /// A fresh model (next seed) with the same settings, keeping the loaded data.
    pub fn reset(&self) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let seed = state.settings.seed().wrapping_add(1);
        state.settings.set_seed(seed);
        state.restart().map_err(js_error)?;
        to_js(&state.settings.output())
    }

    /// The run as a checkpoint file (`.llck`, the format the native `latent-lab train` writes):
    /// weights, optimiser state, step, data position and settings, with `history` (the page's
    /// chart history as JSON text, kept as it is; may be empty). Resolves to the bytes. On
    /// WebGPU the optimiser state is left out (see `State::checkpoint`).
    pub fn checkpoint(&self, history: String) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let checkpoint = state.checkpoint().await.map_err(js_error)?;
            Ok(Uint8Array::from(&checkpoint.with_history(history.into_bytes()).to_bytes()[..]).into())
        })
    }

    /// Resumes the run of a checkpoint file (from `checkpoint()` or the native trainer): its
    /// model and settings replace the current ones, its weights, optimiser state, step and data
    /// position the model's, so that the next step is the one the saved run would have taken
    /// (on the same backend; a version 1 file has weights only and starts fresh optimisers).
    /// The model's data must be loaded. A damaged file, or one of an unknown model, with
    /// invalid settings or with weights or optimiser state that do not fit its architecture,
    /// is refused and nothing changes. Returns `{config, step, history, optimizerNote}` (the
    /// steps behind the weights; the chart history saved with it, as text, empty when none;
    /// null when the optimiser state was taken up too, else why it starts afresh).
    #[wasm_bindgen(js_name = loadCheckpoint)]
    pub fn load_checkpoint(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let checkpoint = Checkpoint::from_bytes(bytes).map_err(js_error)?;
        let settings = checkpoint.settings(|model| state.train_set(model).map(|d| d.len())).map_err(js_error)?;
        let trainer = state.trainer_for(&settings, &state.backend.device, Some(&checkpoint)).map_err(js_error)?;
        state.settings = settings;
        state.trainer = Some(trainer);
        state.recovery = Recovery::default();
        Ok(object(&[
            ("config", to_js(&state.settings.output())?),
            ("step", (checkpoint.header.step as f64).into()),
            ("history", String::from_utf8_lossy(&checkpoint.history).as_ref().into()),
            ("optimizerNote", optimizer_note(&checkpoint, &state.backend).map_or(JsValue::NULL, JsValue::from)),
        ]))
    }

    /// Runs `steps` optimisation steps (for a GAN, generator updates with the critic updates
    /// its rule puts before each), then reads their losses back in one transfer. Per-step
    /// figures are `Float32Array`s. Resolves to `{family: "latent", firstStep, losses, mses,
    /// kls, accuracies, step, epoch, epochProgress, stepMs, readBackMs, diverged}` (`kls` and
    /// `accuracies` null for models without a KL term or a classifier), or `{family: "gan",
    /// firstStep, criticLosses, generatorLosses, step, epoch, epochProgress, stepMs,
    /// readBackMs, diverged}`; `stepMs` and `readBackMs` say how long the steps and the
    /// read-back took. `diverged` is null, or `{step, value, message, rollbackStep}` when a
    /// loss became NaN or infinite or exploded (see `train::guard`): the caller should stop
    /// and offer `rollback`, which returns to the state of `rollbackStep`.
    pub fn train(&self, steps: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if steps > MAX_STEPS_PER_CALL {
                return Err(js_error(LabError::invalid(
                    "steps",
                    format!("one call trains at most {MAX_STEPS_PER_CALL} steps, not {steps}"),
                )));
            }
            let mut state = state.try_borrow_mut().map_err(|_| busy())?;
            let missing = missing_data(state.settings.model);
            let State { data, poly, trainer, .. } = &mut *state;
            // Where the call's time goes, for the page's figures and the benchmark: on the CPU
            // the steps are the computation and the read-back a copy; on WebGPU the steps
            // record and submit work and the read-back waits for the GPU to finish it.
            let started = now_ms();
            let stepped;
            let (first_step, series, report) = match trainer.as_mut().ok_or_else(|| js_error(missing.clone()))? {
                ModelTrainer::Latent(trainer) => {
                    let mnist = data.as_ref().ok_or_else(|| js_error(LabError::NoData))?;
                    for _ in 0..steps {
                        trainer.step(&mnist.mnist.train);
                    }
                    stepped = now_ms();
                    let r = trainer.read_back().await.map_err(js_error)?;
                    let report = object(&[
                        ("family", "latent".into()),
                        ("firstStep", (r.first_step as f64).into()),
                        ("losses", Float32Array::from(&r.losses[..]).into()),
                        ("mses", Float32Array::from(&r.mses[..]).into()),
                        ("kls", optional_f32(r.kls)),
                        ("accuracies", optional_f32(r.accuracies)),
                        ("step", (r.step as f64).into()),
                        ("epoch", (r.epoch as f64).into()),
                        ("epochProgress", r.epoch_progress.into()),
                    ]);
                    (r.first_step, vec![r.losses], report)
                }
                ModelTrainer::Gan(kind, trainer) => {
                    let images = train_set(data, poly, ModelKind::Gan(*kind)).ok_or_else(|| js_error(missing))?;
                    for _ in 0..steps {
                        trainer.step(images);
                    }
                    stepped = now_ms();
                    let r = trainer.read_back().await.map_err(js_error)?;
                    let report = object(&[
                        ("family", "gan".into()),
                        ("firstStep", (r.first_step as f64).into()),
                        ("criticLosses", Float32Array::from(&r.critic_losses[..]).into()),
                        ("generatorLosses", Float32Array::from(&r.generator_losses[..]).into()),
                        ("step", (r.step as f64).into()),
                        ("epoch", (r.epoch as f64).into()),
                        ("epochProgress", r.epoch_progress.into()),
                    ]);
                    (r.first_step, vec![r.critic_losses, r.generator_losses], report)
                }
            };
            let set = |key: &str, value: JsValue| {
                let _ = Reflect::set(&report, &key.into(), &value);
            };
            set("stepMs", (stepped - started).into());
            set("readBackMs", (now_ms() - stepped).into());
            let series: Vec<&[f32]> = series.iter().map(Vec::as_slice).collect();
            match state.recovery.guard.check(first_step, &series) {
                None => {
                    state.keep_good_state().await.map_err(js_error)?;
                    set("diverged", JsValue::NULL);
                }
                Some(d) => {
                    let rollback_step = state.recovery.good.as_ref().map_or(0, |c| c.header.step);
                    set(
                        "diverged",
                        object(&[
                            ("step", (d.step as f64).into()),
                            ("value", d.value.into()),
                            ("message", d.message.into()),
                            ("rollbackStep", (rollback_step as f64).into()),
                        ]),
                    );
                }
            }
            Ok(report)
        })
    }

    /// Rolls the run back to its last good state (see `train`'s `diverged`; the run's start
    /// when none was kept yet) with every learning rate multiplied by `factor` (in (0, 1]):
    /// the way out of a divergence. Resolves to `{config, step}`. Nothing changes on an error.
    pub fn rollback(&self, factor: f64) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        if !(factor > 0.0 && factor <= 1.0) {
            return Err(js_error(LabError::invalid("factor", format!("the learning rates can be multiplied by more than 0 and at most 1, not {factor}"))));
        }
        let values = state.settings.output().values;
        let scaled = |lr: Option<f64>| lr.map(|lr| lr * factor);
        let change = SettingsInput {
            learning_rate: scaled(values.learning_rate),
            lr_generator: scaled(values.lr_generator),
            lr_critic: scaled(values.lr_critic),
            ..SettingsInput::default()
        };
        let (settings, _) = state.settings.apply(&change, |m| state.train_set(m).map(|d| d.len())).map_err(js_error)?;
        let trainer = state.trainer_for(&settings, &state.backend.device, state.recovery.good.as_ref()).map_err(js_error)?;
        let step = trainer.step_count();
        state.settings = settings;
        state.trainer = Some(trainer);
        // The good state stays the one to return to; the guard keeps the run's scale.
        state.recovery.candidate = None;
        Ok(object(&[("config", to_js(&state.settings.output())?), ("step", (step as f64).into())]))
    }

    /// Moves the run to the CPU backend (burn-flex) after the GPU failed (its device was lost,
    /// or it returned an error): the model is rebuilt there from the last good state kept in
    /// memory (weights, step and data position, with a fresh optimiser) or, without one, from
    /// the run's start. `reason` is shown as why the CPU is used. Returns `{step, backend}`.
    #[wasm_bindgen(js_name = fallBackToCpu)]
    pub fn fall_back_to_cpu(&self, reason: String) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let cpu = backend::cpu(BackendKind::Flex, reason);
        let trainer = state.trainer_for(&state.settings, &cpu.device, state.recovery.good.as_ref()).map_err(js_error)?;
        let step = trainer.step_count();
        let backend = backend_object(&cpu);
        state.backend = cpu;
        state.trainer = Some(trainer);
        state.recovery.candidate = None;
        Ok(object(&[("step", (step as f64).into()), ("backend", backend)]))
    }

    /// Test metrics `{loss, mse, kl, accuracy, count}` on the fixed 2,000-image subset, or on
    /// all 10,000 test images when `full` is true.
    pub fn evaluate(&self, full: bool) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let data = state.data().map_err(js_error)?;
            let split = if full { &data.mnist.test } else { &data.subset };
            let r = state.latent().map_err(js_error)?.evaluate(split).await.map_err(js_error)?;
            to_js(&EvalOutput { loss: r.loss, mse: r.mse, kl: r.kl, accuracy: r.accuracy, count: r.count })
        })
    }

    /// Latent points of the evaluation subset: `{points: Float32Array [x0, y0, ...],
    /// labels: Uint8Array}`; posterior means when `mean`, else the sampled codes.
    pub fn latents(&self, mean: bool) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let data = state.data().map_err(js_error)?;
            let points = state.latent().map_err(js_error)?.embed(&data.subset, mean).await.map_err(js_error)?;
            let labels: Vec<u8> = (0..data.subset.len()).map(|i| data.subset.label(i)).collect();
            Ok(object(&[
                ("points", Float32Array::from(&points[..]).into()),
                ("labels", Uint8Array::from(&labels[..]).into()),
            ]))
        })
    }

    /// The image at the latent point (x, y), as RGBA bytes: decoded by an autoencoder
    /// (28x28), generated from that noise by a polynomial GAN (40x40).
    pub fn decode(&self, x: f32, y: f32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if !(x.is_finite() && y.is_finite()) {
                return Err(js_error(LabError::invalid("latent", format!("the latent point ({x}, {y}) is not finite"))));
            }
            let state = state.try_borrow().map_err(|_| busy())?;
            let image = state.images_at(&[x, y]).await.map_err(js_error)?;
            Ok(Uint8ClampedArray::from(&Palette::of(state.settings.model).rgba(&image)[..]).into())
        })
    }

    /// The images at latent points `[x0, y0, x1, y1, ...]` (at most 1024 points), as RGBA
    /// bytes of the model's images (see `decode`), concatenated. Used for interpolations.
    #[wasm_bindgen(js_name = decodePoints)]
    pub fn decode_points(&self, points: Vec<f32>) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if points.len() % 2 != 0 || points.len() / 2 > MAX_DECODE_POINTS || !points.iter().all(|v| v.is_finite()) {
                return Err(js_error(LabError::invalid(
                    "latent",
                    format!("expected up to {MAX_DECODE_POINTS} finite (x, y) pairs, got {} numbers", points.len()),
                )));
            }
            let state = state.try_borrow().map_err(|_| busy())?;
            let images = state.images_at(&points).await.map_err(js_error)?;
            Ok(Uint8ClampedArray::from(&Palette::of(state.settings.model).rgba(&images)[..]).into())
        })
    }

    /// The decoded manifold: an `n` x `n` grid of the images at the centres of the cells of
    /// the latent rectangle [x0, x1] x [y0, y1] (see `decode`), as one RGBA image of
    /// side x n pixels per side with y growing upwards (the top row is y1). Resolves to
    /// `{width, height, rgba}`.
    pub fn manifold(&self, x0: f32, x1: f32, y0: f32, y1: f32, n: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if !(1..=MAX_MANIFOLD_SIDE).contains(&n) {
                return Err(js_error(LabError::invalid("manifold", format!("the grid side must be 1 to {MAX_MANIFOLD_SIDE}, not {n}"))));
            }
            if ![x0, x1, y0, y1].iter().all(|v| v.is_finite()) || x0 >= x1 || y0 >= y1 {
                return Err(js_error(LabError::invalid("manifold", format!("[{x0}, {x1}] x [{y0}, {y1}] is not a latent rectangle"))));
            }
            let n = n as usize;
            let centre = |a: f32, b: f32, i: usize| a + (b - a) * (i as f32 + 0.5) / n as f32;
            // Row-major from the top: row 0 is the largest y, as on screen.
            let points: Vec<f32> = (0..n)
                .flat_map(|row| (0..n).flat_map(move |col| [centre(x0, x1, col), centre(y1, y0, row)]))
                .collect();
            let state = state.try_borrow().map_err(|_| busy())?;
            let images = state.images_at(&points).await.map_err(js_error)?;
            Ok(grid(&images, n, state.settings.model))
        })
    }

    /// One test digit of each class and its reconstruction: `{count, width, height,
    /// originals, recons}` with RGBA bytes of `count` images concatenated.
    pub fn reconstructions(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let data = state.data().map_err(js_error)?;
            let recons = state.latent().map_err(js_error)?.reconstruct(&data.mnist.test, &data.strip).await.map_err(js_error)?;
            let originals: Vec<u8> = data.strip.iter().flat_map(|&i| bytes_to_rgba(data.mnist.test.image(i))).collect();
            Ok(object(&[
                ("count", data.strip.len().into()),
                ("width", IMAGE_SIDE.into()),
                ("height", IMAGE_SIDE.into()),
                ("originals", Uint8ClampedArray::from(&originals[..]).into()),
                ("recons", Uint8ClampedArray::from(&gray_to_rgba(&recons)[..]).into()),
            ]))
        })
    }

    /// The GAN's samples from a fixed noise seed, an `n` x `n` grid (n <= 16) as one RGBA
    /// image: `{width, height, rgba}`. The same noise every time, so successive grids show
    /// how the same points of the noise space change as training goes.
    pub fn samples(&self, n: u32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if !(1..=MAX_GRID_SIDE).contains(&n) {
                return Err(js_error(LabError::invalid("samples", format!("the grid side must be 1 to {MAX_GRID_SIDE}, not {n}"))));
            }
            let n = n as usize;
            let state = state.try_borrow().map_err(|_| busy())?;
            let (_, gan) = state.gan().map_err(js_error)?;
            let images = gan.generate(&fixed_noise(n * n, gan.noise_dim(), GRID_NOISE_SEED)).await.map_err(js_error)?;
            Ok(grid(&images, n, state.settings.model))
        })
    }

    /// Quality meters of the GAN on 256 samples from a fixed noise seed, beside the real
    /// data's figures. Polynomial GANs: `{smoothness, realSmoothness, diversity, count}`;
    /// smoothness is the fraction of row variance a degree-4 polynomial fit leaves unexplained
    /// (real data ~0, noise ~0.9), diversity the samples' mean pairwise distance over the real
    /// images' (a collapsed generator scores near 0). MNIST DCGAN (after `loadJudge`):
    /// `{confidence, covered, histogram, frechet, realConfidence, realCovered, realFrechet,
    /// count}`: the judge's mean top-class probability, the digits it finds in at least 2.5 %
    /// of the samples, how many it gives each digit, and the Frechet distance between its
    /// features of the samples and of 1,000 real test digits; the `real` figures are those of
    /// 256 other real test digits.
    pub fn meters(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let mut guard = state.try_borrow_mut().map_err(|_| busy())?;
            let (kind, gan) = guard.gan().map_err(js_error)?;
            let pixels = gan.generate(&fixed_noise(METER_SAMPLES, gan.noise_dim(), METER_NOISE_SEED)).await.map_err(js_error)?;
            let optional = |v: Option<f64>| v.map_or(JsValue::NULL, JsValue::from);
            if kind != GanKind::DcganMnist {
                let poly = guard.poly.as_ref().ok_or_else(|| js_error(LabError::NoPolydata))?;
                let samples = Images::new(METER_SAMPLES, POLY_SIDE, POLY_SIDE, pixels)
                    .map_err(|e| js_error(LabError::Backend(format!("the generator returned images of the wrong size: {e}"))))?;
                return Ok(object(&[
                    ("smoothness", optional(metrics::row_residual(&samples))),
                    ("realSmoothness", optional(poly.reference.smoothness)),
                    ("diversity", optional(metrics::diversity(&samples, poly.reference.distance))),
                    ("count", METER_SAMPLES.into()),
                ]));
            }
            let State { data, judge, .. } = &mut *guard;
            let judge = judge.as_mut().ok_or_else(|| js_error(LabError::NoJudge))?;
            let real = match judge.real.take() {
                Some(real) => real,
                None => {
                    let test = &data.as_ref().ok_or_else(|| js_error(LabError::NoData))?.mnist.test;
                    real_digits(&judge.judge, test, &judge_device()).await.map_err(js_error)?
                }
            };
            // The generator's tanh range [-1, 1] to the judge's [0, 1].
            let unit: Vec<f32> = pixels.iter().map(|v| (v + 1.0) / 2.0).collect();
            let measured = digit_meters(&judge.judge, &unit, &real.reference, &judge_device()).await;
            let real = judge.real.insert(real);
            let (report, frechet) = measured.map_err(js_error)?;
            let histogram = js_sys::Array::new();
            report.histogram.iter().for_each(|&n| {
                histogram.push(&n.into());
            });
            Ok(object(&[
                ("confidence", report.confidence.into()),
                ("covered", report.covered.into()),
                ("histogram", histogram.into()),
                ("frechet", frechet.into()),
                ("realConfidence", real.report.confidence.into()),
                ("realCovered", real.report.covered.into()),
                ("realFrechet", real.frechet.into()),
                ("count", METER_SAMPLES.into()),
            ]))
        })
    }
}

/// `{kind, label, reason}` of a backend, for the page.
fn backend_object(b: &Backend) -> JsValue {
    object(&[("kind", b.kind.name().into()), ("label", b.label.as_str().into()), ("reason", b.reason.as_str().into())])
}

/// Why a loaded checkpoint's run goes on with a fresh optimiser, if it does.
fn optimizer_note(checkpoint: &Checkpoint, backend: &Backend) -> Option<&'static str> {
    if checkpoint.optimizers.is_empty() {
        Some("It holds no optimiser state (saved on WebGPU, or by an older version): the optimiser starts afresh.")
    } else if !crate::train::optimizer_state_loads(&backend.device) {
        Some("Its optimiser state starts afresh: burn 0.22 loads optimiser state only onto its default device, which is WebGPU in the page's WebGPU build and burn-flex in its CPU build.")
    } else {
        None
    }
}

/// `n * n` images of `model` tiled row-major into one RGBA image `{width, height, rgba}`.
fn grid(images: &[f32], n: usize, model: ModelKind) -> JsValue {
    let side = model.image_side();
    let rgba = Palette::of(model).rgba(&tile(images, n, side));
    object(&[
        ("width", (n * side).into()),
        ("height", (n * side).into()),
        ("rgba", Uint8ClampedArray::from(&rgba[..]).into()),
    ])
}

/// `n` distinct examples of `split` chosen by a fixed seed.
fn random_subset(split: &MnistSplit, n: usize, seed: u64) -> MnistSplit {
    let order = random_indices(split.len(), n, seed);
    let mut images = Vec::with_capacity(order.len() * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(order.len());
    for &i in &order {
        images.extend_from_slice(split.image(i));
        labels.push(split.label(i));
    }
    MnistSplit::from_parts(images, labels)
}

fn optional_f32(values: Option<Vec<f32>>) -> JsValue {
    values.map_or(JsValue::NULL, |v| Float32Array::from(&v[..]).into())
}

/// The JS side of a [`LabError`]: an `Error` whose `name` is the kind and, for a bad control
/// value, whose `field` names the control.
fn js_error(e: LabError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(e.kind());
    if let Some(field) = e.field() {
        let _ = Reflect::set(&err, &"field".into(), &field.into());
    }
    err.into()
}

/// Another call is still running: the worker must await each call before the next.
fn busy() -> JsValue {
    js_error(LabError::Backend("the session is busy with another call; await each call before the next".into()))
}

/// `performance.now()` of the window or worker the session runs in (milliseconds).
fn now_ms() -> f64 {
    let performance = Reflect::get(&js_sys::global(), &"performance".into()).unwrap_or(JsValue::UNDEFINED);
    Reflect::get(&performance, &"now".into())
        .ok()
        .and_then(|now| now.dyn_into::<js_sys::Function>().ok())
        .and_then(|now| now.call0(&performance).ok())
        .and_then(|t| t.as_f64())
        .unwrap_or_else(js_sys::Date::now)
}

fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&obj, &JsValue::from_str(k), v);
    }
    obj.into()
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(JsValue::from)
}
