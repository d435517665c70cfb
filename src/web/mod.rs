//! The wasm-bindgen surface of the [`crate::session::Session`] that a Web Worker drives: each
//! export parses its JS arguments, calls the session, and converts the result. Long-lived
//! state (data, model, optimiser) stays in Rust; JS gets small copyable results. Every export
//! returns a `Result` whose error is a JS `Error` with `name` (the error kind) and, for bad
//! control values, `field`. What each call means is the session's documentation.

// Each call holds the session's RefCell across its awaits on purpose: a second call while
// one is in flight then fails with `busy()` instead of interleaving with it.
#![allow(clippy::await_holding_refcell_ref)]

mod convert;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::{self, BackendRequest};
use crate::catalog::{self, Builtin, DataSlot};
use crate::checkpoint::Checkpoint;
use crate::data::own;
use crate::error::LabError;
use crate::session::{self, JudgeOf, Split};
use crate::settings::SettingsInput;
use convert::{busy, js_error, now_ms, object, to_js};

/// The run copied onto its backend's rival, for the worker to time (`Session.startTrial`).
#[wasm_bindgen]
pub struct Trial {
    inner: Rc<RefCell<Option<session::Trial>>>,
}

#[wasm_bindgen]
impl Trial {
    fn settled() -> LabError {
        LabError::invalid("trial", "this trial is settled already")
    }

    /// `{kind, label, phrase, reason, maxBuffer, rival}` of the trial's backend.
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        let trial = self.inner.try_borrow().map_err(|_| busy())?;
        Ok(convert::backend(trial.as_ref().ok_or_else(|| js_error(Self::settled()))?.backend()))
    }

    /// Resolves once the steps recorded on the trial have run (on WebGPU, on the GPU).
    pub fn finish(&self) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            let mut trial = inner.try_borrow_mut().map_err(|_| busy())?;
            trial.as_mut().ok_or_else(|| js_error(Trial::settled()))?.finish().await.map_err(js_error)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

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

/// The models, their capabilities and presets, and the control schema the page builds its
/// menus, form and links from (see `catalog`).
#[wasm_bindgen]
pub fn catalog() -> Result<JsValue, JsValue> {
    to_js(&catalog::catalog())
}

/// What a checkpoint file holds before it is loaded: `{model, dataset}`, the model's name and
/// the data it trained on (`DatasetId`), each null when the file does not say; a damaged file
/// is refused.
#[wasm_bindgen(js_name = checkpointInfo)]
pub fn checkpoint_info(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let header = Checkpoint::from_bytes(bytes).map_err(js_error)?.header;
    Ok(object(&[("model", header.settings.model.map_or(JsValue::NULL, JsValue::from)), ("dataset", to_js(&header.dataset)?)]))
}

/// A checkpoint read to compare with, not loaded: `{config, step, history}`, its settings as
/// `Session.config` reports them, the steps behind its weights and the page's chart history
/// ("" when it has none, as from the command line); a damaged file is refused.
#[wasm_bindgen(js_name = checkpointRun)]
pub fn checkpoint_run(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let checkpoint = Checkpoint::from_bytes(bytes).map_err(js_error)?;
    let config = checkpoint.settings().map_err(js_error)?.output();
    Ok(object(&[
        ("config", to_js(&config)?),
        ("step", (checkpoint.header.step as f64).into()),
        ("history", String::from_utf8_lossy(&checkpoint.history).as_ref().into()),
    ]))
}

fn builtin(name: &str) -> Result<Builtin, JsValue> {
    Builtin::parse(name).ok_or_else(|| js_error(LabError::invalid("dataset", format!("there is no built-in dataset '{name}'"))))
}

/// Your own files on their way to a dataset, sized for the models of `slot` (`side28` or
/// `side40`); see `data::own::Collector`. The worker hands it each file, decodes the images
/// it hands back with the browser's decoder, and gives it to `Session.loadOwn`.
#[wasm_bindgen]
pub struct Collector {
    inner: own::Collector,
}

#[wasm_bindgen]
impl Collector {
    #[wasm_bindgen(constructor)]
    pub fn new(slot: JsValue) -> Result<Collector, JsValue> {
        let slot: DataSlot =
            serde_wasm_bindgen::from_value(slot).map_err(|e| js_error(LabError::invalid("dataset", format!("not a data slot: {e}"))))?;
        Ok(Collector { inner: own::Collector::new(slot) })
    }

    /// Refuses `files` more files up front when they cannot fit the limit.
    #[wasm_bindgen(js_name = checkCount)]
    pub fn check_count(&self, name: &str, files: usize) -> Result<(), JsValue> {
        self.inner.check_count(name, files).map_err(|e| js_error(e.into()))
    }

    /// Takes one file; returns `[{path, bytes}]`, the images in it for the browser to decode.
    #[wasm_bindgen(js_name = addFile)]
    pub fn add_file(&mut self, path: &str, bytes: Vec<u8>) -> Result<js_sys::Array, JsValue> {
        let decode = self.inner.add_file(path, bytes).map_err(|e| js_error(e.into()))?;
        Ok(decode.into_iter().map(|d| object(&[("path", d.path.into()), ("bytes", Uint8Array::from(&d.bytes[..]).into())])).collect())
    }

    /// Takes a decoded image: `rgba` as an `ImageData`'s `data`.
    #[wasm_bindgen(js_name = addRgba)]
    pub fn add_rgba(&mut self, path: &str, width: usize, height: usize, rgba: &[u8]) -> Result<(), JsValue> {
        self.inner.add_rgba(path, width, height, rgba).map_err(|e| js_error(e.into()))
    }

    /// Notes an image the browser could not decode (skipped and counted).
    pub fn skip(&mut self, path: &str, reason: &str) {
        self.inner.skip(path, reason);
    }

    /// Images collected so far.
    pub fn count(&self) -> usize {
        self.inner.count()
    }
}

#[wasm_bindgen]
pub struct Session {
    inner: Rc<RefCell<session::Session>>,
}

/// Runs `f` on the session inside a promise; one call at a time.
fn promise<F, Fut>(inner: &Rc<RefCell<session::Session>>, f: F) -> Promise
where
    F: FnOnce(Rc<RefCell<session::Session>>) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<JsValue, JsValue>> + 'static,
{
    future_to_promise(f(inner.clone()))
}

fn input(value: JsValue) -> Result<SettingsInput, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_error(LabError::invalid("config", format!("the settings are not understood: {e}"))))
}

#[wasm_bindgen]
impl Session {
    /// Starts a backend (`auto`, `webgpu`, `cpu`, `flex` or `ndarray`) and returns a session
    /// with no data yet. `auto` never fails: without WebGPU it uses the CPU and says why; with
    /// a hardware adapter (any adapter when `timeSoftware`) WebGPU is the CPU's rival, which
    /// the worker times with a trial (`startTrial`).
    pub async fn create(backend: String, time_software: Option<bool>) -> Result<Session, JsValue> {
        run_constructors();
        let request: BackendRequest = backend.parse().map_err(js_error)?;
        let backend = backend::select(request, time_software.unwrap_or(false)).await;
        Ok(Session { inner: Rc::new(RefCell::new(session::Session::new(backend, Box::new(now_ms)))) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut session::Session) -> Result<T, LabError>) -> Result<T, JsValue> {
        let mut session = self.inner.try_borrow_mut().map_err(|_| busy())?;
        f(&mut session).map_err(js_error)
    }

    /// `{kind, label, phrase, reason, maxBuffer}` of the backend the current model trains on.
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        self.with(|s| Ok(convert::backend(s.backend())))
    }

    /// The four IDX files of the built-in 28x28 dataset `dataset` (`mnist` or `fashion`);
    /// returns its summary (`session::DataSummary`) with `restarted` and `notice`.
    #[wasm_bindgen(js_name = loadIdx)]
    pub fn load_idx(
        &self,
        dataset: String,
        train_images: &[u8],
        train_labels: &[u8],
        test_images: &[u8],
        test_labels: &[u8],
    ) -> Result<JsValue, JsValue> {
        let dataset = builtin(&dataset)?;
        let loaded = self.with(|s| s.load_idx(dataset, [train_images, train_labels, test_images, test_labels]))?;
        to_js(&loaded)
    }

    /// The frozen judge of the built-in dataset `dataset`; returns `{features}`.
    #[wasm_bindgen(js_name = loadJudge)]
    pub fn load_judge(&self, dataset: String, bytes: Vec<u8>) -> Result<JsValue, JsValue> {
        let of = JudgeOf::Builtin(builtin(&dataset)?);
        let features = self.with(|s| s.load_judge(of, bytes))?;
        Ok(object(&[("features", features.into())]))
    }

    /// The judge of your own data `hash` (from `judgeBytes`); returns `{features}`.
    #[wasm_bindgen(js_name = loadOwnJudge)]
    pub fn load_own_judge(&self, hash: String, bytes: Vec<u8>) -> Result<JsValue, JsValue> {
        let features = self.with(|s| s.load_judge(JudgeOf::Own(hash), bytes))?;
        Ok(object(&[("features", features.into())]))
    }

    /// Starts training a judge for the loaded labelled 28x28 data; returns
    /// `{dataset, hash, train, epochs, steps}`.
    #[wasm_bindgen(js_name = startJudge)]
    pub fn start_judge(&self) -> Result<JsValue, JsValue> {
        to_js(&self.with(|s| s.start_judge())?)
    }

    /// Trains the judge up to `steps` more steps; resolves to `{step, steps, loss, accuracy}`,
    /// `accuracy` null until it is done.
    #[wasm_bindgen(js_name = trainJudge)]
    pub fn train_judge(&self, steps: u32) -> Promise {
        promise(&self.inner, move |inner| async move {
            let mut session = inner.try_borrow_mut().map_err(|_| busy())?;
            to_js(&session.train_judge(steps).await.map_err(js_error)?)
        })
    }

    /// The weights of the judge of your own data `hash`, to keep in the browser.
    #[wasm_bindgen(js_name = judgeBytes)]
    pub fn judge_bytes(&self, hash: String) -> Result<Uint8Array, JsValue> {
        Ok(Uint8Array::from(&self.with(|s| s.judge_bytes(&hash))?[..]))
    }

    /// Makes the polynomial GANs' built-in images (20,000 from seed 1, as `latent-lab
    /// polydata` writes them); returns what `loadIdx` does.
    #[wasm_bindgen(js_name = generatePolydata)]
    pub fn generate_polydata(&self) -> Result<JsValue, JsValue> {
        let loaded = self.with(|s| s.generate_polydata())?;
        to_js(&loaded)
    }

    /// Your own data, collected under the name `name` (the file or folder given); returns
    /// what `loadIdx` does, with `own` saying what became of the files.
    #[wasm_bindgen(js_name = loadOwn)]
    pub fn load_own(&self, collector: Collector, name: String) -> Result<JsValue, JsValue> {
        let set = collector.inner.finish(&name).map_err(|e| js_error(e.into()))?;
        let loaded = self.with(|s| s.load_own(set))?;
        to_js(&loaded)
    }

    /// The first `n` x `n` training images of the current model's data, as the model reads
    /// them; resolves to `{width, height, rgba}`.
    #[wasm_bindgen(js_name = realImages)]
    pub fn real_images(&self, n: u32) -> Result<JsValue, JsValue> {
        let grid = self.with(|s| s.real_images(n as usize))?;
        Ok(convert::grid(grid))
    }

    /// Applies any subset of `{model, seed, preset, <control field>...}`; returns `{reset,
    /// ready, config}`. Invalid values are refused and nothing changes.
    pub fn configure(&self, change: JsValue) -> Result<JsValue, JsValue> {
        let change = input(change)?;
        let (done, config) = self.with(|s| Ok((s.configure(&change)?, s.config())))?;
        Ok(object(&[("reset", done.reset.into()), ("ready", done.ready.into()), ("config", to_js(&config)?)]))
    }

    /// Applies the settings of a link's query, given as its `[key, value]` pairs (what
    /// `[...new URLSearchParams(location.search)]` gives), each accepted value even when
    /// others are refused; returns `{reset, ready, config, refusals}`, a refusal being a JS
    /// `Error` as thrown elsewhere.
    #[wasm_bindgen(js_name = configureLink)]
    pub fn configure_link(&self, query: JsValue) -> Result<JsValue, JsValue> {
        let pairs: Vec<(String, String)> = serde_wasm_bindgen::from_value(query)
            .map_err(|e| js_error(LabError::invalid("config", format!("the link is not understood: {e}"))))?;
        let change = SettingsInput::from_link(&pairs);
        let (done, refusals, config) = self.with(|s| {
            let (done, refusals) = s.configure_link(&change)?;
            Ok((done, refusals, s.config()))
        })?;
        let errors = js_sys::Array::new();
        for refusal in refusals {
            errors.push(&js_error(refusal));
        }
        Ok(object(&[("reset", done.reset.into()), ("ready", done.ready.into()), ("config", to_js(&config)?), ("refusals", errors.into())]))
    }

    /// The current settings (see `settings::SettingsOutput`).
    pub fn config(&self) -> Result<JsValue, JsValue> {
        to_js(&self.with(|s| Ok(s.config()))?)
    }

    #[wasm_bindgen(js_name = flopsPerStep)]
    pub fn flops_per_step(&self) -> Result<f64, JsValue> {
        self.with(|s| s.flops_per_step())
    }

    /// A fresh model (next seed) with the same settings; returns the config.
    pub fn reset(&self) -> Result<JsValue, JsValue> {
        to_js(&self.with(|s| s.reset().map(|()| s.config()))?)
    }

    /// The run as `.llck` bytes, carrying `history` (the page's chart history as JSON text).
    pub fn checkpoint(&self, history: String) -> Promise {
        promise(&self.inner, |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            let checkpoint = session.checkpoint().await.map_err(js_error)?;
            Ok(Uint8Array::from(&checkpoint.with_history(history.into_bytes()).to_bytes()[..]).into())
        })
    }

    /// Resumes a checkpoint file; returns `{config, step, history, optimizerNote}`.
    #[wasm_bindgen(js_name = loadCheckpoint)]
    pub fn load_checkpoint(&self, bytes: &[u8]) -> Result<JsValue, JsValue> {
        let (resumed, config) = self.with(|s| Ok((s.load_checkpoint(bytes)?, s.config())))?;
        Ok(object(&[
            ("config", to_js(&config)?),
            ("step", (resumed.step as f64).into()),
            ("history", String::from_utf8_lossy(&resumed.history).as_ref().into()),
            ("optimizerNote", resumed.optimizer_note.map_or(JsValue::NULL, JsValue::from)),
        ]))
    }

    /// Trains `steps` steps; resolves to the step report (see `convert::trained`).
    pub fn train(&self, steps: u32) -> Promise {
        promise(&self.inner, move |inner| async move {
            let mut session = inner.try_borrow_mut().map_err(|_| busy())?;
            convert::trained(&session.train(steps).await.map_err(js_error)?)
        })
    }

    /// Back to the last good state with the learning rates times `factor`; returns `{config, step}`.
    pub fn rollback(&self, factor: f64) -> Result<JsValue, JsValue> {
        let (step, config) = self.with(|s| Ok((s.rollback(factor)?, s.config())))?;
        Ok(object(&[("config", to_js(&config)?), ("step", (step as f64).into())]))
    }

    /// The run's model on its backend's rival (`backend().rival`), to time steps there;
    /// resolves to a `Trial`. Fails, and the header says why, when the rival does not start.
    #[wasm_bindgen(js_name = startTrial)]
    pub fn start_trial(&self) -> Promise {
        promise(&self.inner, move |inner| async move {
            let rival = inner.try_borrow().map_err(|_| busy())?.backend().rival;
            let Some(rival) = rival else {
                return Err(js_error(LabError::invalid("trial", "this backend has no rival to time: the automatic choice is made")));
            };
            let backend = backend::select(rival.request(), true).await;
            let trial = inner.try_borrow_mut().map_err(|_| busy())?.trial(backend).map_err(js_error)?;
            Ok(Trial { inner: Rc::new(RefCell::new(Some(trial))) }.into())
        })
    }

    /// Records `steps` steps of `trial` on the run's data; `trial.finish()` waits for them.
    #[wasm_bindgen(js_name = stepTrial)]
    pub fn step_trial(&self, trial: &Trial, steps: u32) -> Result<(), JsValue> {
        let session = self.inner.try_borrow().map_err(|_| busy())?;
        let mut trial = trial.inner.try_borrow_mut().map_err(|_| busy())?;
        let trial = trial.as_mut().ok_or_else(|| js_error(Trial::settled()))?;
        session.step_trial(trial, steps).map_err(js_error)
    }

    /// Keeps the faster of the run's backend and `trial`'s, given each one's ms per step.
    /// Returns `{moved, step, backend}`.
    pub fn settle(&self, trial: &Trial, run_ms: f64, trial_ms: f64) -> Promise {
        let trial = match trial.inner.try_borrow_mut() {
            Ok(mut trial) => trial.take(),
            Err(_) => return Promise::reject(&busy()),
        };
        promise(&self.inner, move |inner| async move {
            let trial = trial.ok_or_else(|| js_error(Trial::settled()))?;
            let mut session = inner.try_borrow_mut().map_err(|_| busy())?;
            let settled = session.settle(trial, run_ms, trial_ms).await.map_err(js_error)?;
            Ok(object(&[
                ("moved", settled.moved.into()),
                ("step", (settled.step as f64).into()),
                ("backend", convert::backend(session.backend())),
            ]))
        })
    }

    /// Moves the run to the CPU after the GPU failed; returns `{step, backend}`.
    #[wasm_bindgen(js_name = fallBackToCpu)]
    pub fn fall_back_to_cpu(&self, reason: String) -> Result<JsValue, JsValue> {
        let (step, backend) = self.with(|s| Ok((s.fall_back_to_cpu(reason)?, convert::backend(s.backend()))))?;
        Ok(object(&[("step", (step as f64).into()), ("backend", backend)]))
    }

    /// Test figures `{loss, mse, kl, accuracy, count}` on the fixed subset, or on the whole
    /// test set when `full`.
    pub fn evaluate(&self, full: bool) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            let split = if full { Split::Test } else { Split::Subset };
            Ok(convert::eval(&session.evaluate(split).await.map_err(js_error)?))
        })
    }

    /// `{points, labels}` of the evaluation subset; posterior means when `mean`.
    pub fn latents(&self, mean: bool) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            let (points, labels) = session.latents(mean).await.map_err(js_error)?;
            Ok(convert::latents(&points, &labels))
        })
    }

    /// The image at the point (x, y) of the model's plane, as RGBA bytes.
    pub fn decode(&self, x: f32, y: f32) -> Promise {
        self.decode_points(vec![x, y])
    }

    /// The images at points `[x0, y0, x1, y1, ...]` (at most 1024), RGBA bytes concatenated.
    #[wasm_bindgen(js_name = decodePoints)]
    pub fn decode_points(&self, points: Vec<f32>) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            Ok(convert::rgba(&session.decode(&points).await.map_err(js_error)?))
        })
    }

    /// An `n` x `n` grid of the images over [x0, x1] x [y0, y1]: `{width, height, rgba}`.
    pub fn manifold(&self, x0: f32, x1: f32, y0: f32, y1: f32, n: u32) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            Ok(convert::grid(session.manifold([x0, x1, y0, y1], n as usize).await.map_err(js_error)?))
        })
    }

    /// One test digit of each class and its reconstruction.
    pub fn reconstructions(&self) -> Promise {
        promise(&self.inner, |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            Ok(convert::reconstructions(session.reconstructions().await.map_err(js_error)?))
        })
    }

    /// One drawing of 784 values in [0, 1] through the autoencoder: resolves to `{mean,
    /// std, side, nearest: {index, label, distance, rgba}, recon}` (see `session::Encoded`).
    pub fn encode(&self, pixels: Vec<f32>) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            convert::encoded(&session.encode(&pixels).await.map_err(js_error)?)
        })
    }

    /// The GAN's samples from fixed noise, an `n` x `n` grid: `{width, height, rgba}`.
    pub fn samples(&self, n: u32) -> Promise {
        promise(&self.inner, move |inner| async move {
            let session = inner.try_borrow().map_err(|_| busy())?;
            Ok(convert::grid(session.samples(n as usize).await.map_err(js_error)?))
        })
    }

    /// The GAN's quality meters (see `session::Meters`).
    pub fn meters(&self) -> Promise {
        promise(&self.inner, |inner| async move {
            let mut session = inner.try_borrow_mut().map_err(|_| busy())?;
            to_js(&session.meters().await.map_err(js_error)?)
        })
    }
}
