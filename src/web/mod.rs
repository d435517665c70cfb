//! The wasm-bindgen facade: one coarse `Session` that a Web Worker drives. Long-lived state
//! (data, model, optimiser) stays in Rust; JS gets small copyable results: plain objects,
//! `Float32Array`s and RGBA bytes. Every export returns a `Result` whose error is a JS
//! `Error` with `name` (the error kind) and, for bad control values, `field`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Float32Array, Object, Promise, Reflect, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::backend::{self, Backend, BackendRequest};
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistSplit, SplitMix64};
use crate::error::LabError;
use crate::model::ModelKind;
use crate::render::{bytes_to_rgba, gray_to_rgba, tile};
use crate::train::{LatentTrainer, TrainConfig};

/// Most steps one `train` call may run: the worker asks for tens; a runaway value would
/// block the worker (and so the page's controls) for minutes.
const MAX_STEPS_PER_CALL: u32 = 1000;

/// Test images evaluated between epochs and drawn in the scatter: a fixed random subset,
/// large enough for a stable figure, small enough to evaluate often on a CPU.
const EVAL_SUBSET: usize = 2000;
/// The reference's weight of the VAE's KL term.
const PAPER_BETA: f64 = 0.01;
/// Most cells per side of a decoded manifold: 32 x 32 digits are already a 896 px image.
const MAX_MANIFOLD_SIDE: u32 = 32;
/// Most latent points one `decodePoints` call decodes.
const MAX_DECODE_POINTS: usize = 1024;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The config as JS sends it. Numbers arrive as f64 so that NaN, fractions and negatives
/// reach validation and get a clear message rather than a deserialisation error.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigInput {
    model: Option<String>,
    learning_rate: Option<f64>,
    batch_size: Option<f64>,
    seed: Option<f64>,
    beta: Option<f64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ConfigOutput {
    model: &'static str,
    learning_rate: f64,
    batch_size: usize,
    seed: u64,
    beta: f64,
    paper_preset: bool,
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
    backend: Backend,
    model: ModelKind,
    config: TrainConfig,
    data: Option<LoadedData>,
    trainer: Option<LatentTrainer>,
}

struct LoadedData {
    mnist: Mnist,
    /// The fixed test subset for frequent evaluation and the scatter.
    subset: MnistSplit,
    /// Test indices of the reconstruction strip: the first example of each digit.
    strip: Vec<usize>,
}

impl State {
    fn data(&self) -> Result<&LoadedData, LabError> {
        self.data.as_ref().ok_or(LabError::NoData)
    }

    fn trainer(&self) -> Result<&LatentTrainer, LabError> {
        self.trainer.as_ref().ok_or(LabError::NoData)
    }

    /// A fresh model and optimiser for the current model kind and config.
    fn restart(&mut self) -> Result<(), LabError> {
        let train_len = self.data()?.mnist.train.len();
        let device = self.backend.device.clone().autodiff();
        self.trainer = Some(LatentTrainer::new(self.model, device, self.config.clone(), train_len)?);
        Ok(())
    }

    fn config_output(&self) -> ConfigOutput {
        let (batch, lr) = self.model.paper_preset();
        ConfigOutput {
            model: self.model.name(),
            learning_rate: self.config.learning_rate,
            batch_size: self.config.batch_size,
            seed: self.config.seed,
            beta: self.config.beta,
            paper_preset: self.config.batch_size == batch
                && self.config.learning_rate == lr
                && self.config.beta == PAPER_BETA,
        }
    }
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
        let request: BackendRequest = backend.parse().map_err(js_error)?;
        let backend = backend::select(request).await;
        let model = ModelKind::Autoencoder;
        let (batch_size, learning_rate) = model.paper_preset();
        let config = TrainConfig { learning_rate, batch_size, seed: 1, beta: PAPER_BETA };
        Ok(Session { state: Rc::new(RefCell::new(State { backend, model, config, data: None, trainer: None })) })
    }

    /// `{kind, label, reason}` of the backend in use.
    pub fn backend(&self) -> Result<JsValue, JsValue> {
        let state = self.state.try_borrow().map_err(|_| busy())?;
        let b = &state.backend;
        Ok(object(&[
            ("kind", b.kind.name().into()),
            ("label", b.label.as_str().into()),
            ("reason", b.reason.as_str().into()),
        ]))
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
        Ok(summary)
    }

    /// Applies `{model, learningRate, batchSize, seed, beta}` (any subset). Learning rate,
    /// batch size and beta change the running training; a new model or seed restarts it. A
    /// new model without a batch size or learning rate takes its paper preset's. Returns
    /// `{reset, config}`. Invalid values are refused and nothing changes.
    pub fn configure(&self, input: JsValue) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        let input: ConfigInput = serde_wasm_bindgen::from_value(input)
            .map_err(|e| js_error(LabError::invalid("config", format!("the config is not understood: {e}"))))?;
        let model = match &input.model {
            Some(name) => ModelKind::parse(name).map_err(js_error)?,
            None => state.model,
        };
        let mut config = state.config.clone();
        if model != state.model {
            (config.batch_size, config.learning_rate) = model.paper_preset();
            config.beta = PAPER_BETA;
        }
        if let Some(beta) = input.beta {
            config.beta = beta;
        }
        if let Some(lr) = input.learning_rate {
            config.learning_rate = lr;
        }
        if let Some(batch) = input.batch_size {
            config.batch_size = whole_number("batchSize", "batch size", batch).map_err(js_error)? as usize;
        }
        if let Some(seed) = input.seed {
            config.seed = whole_number("seed", "seed", seed).map_err(js_error)?;
        }
        let train_len = state.data.as_ref().map_or(usize::MAX, |d| d.mnist.train.len());
        config.validate(train_len).map_err(js_error)?;
        let reset = model != state.model || config.seed != state.config.seed;
        state.model = model;
        state.config = config.clone();
        if reset || state.trainer.is_none() {
            if state.data.is_some() {
                state.restart().map_err(js_error)?;
            }
        } else if let Some(trainer) = state.trainer.as_mut() {
            trainer.set_config(config, train_len).map_err(js_error)?;
        }
        let out = object(&[("reset", reset.into()), ("config", to_js(&state.config_output())?)]);
        Ok(out)
    }

    /// The current `{model, learningRate, batchSize, seed, paperPreset}`.
    pub fn config(&self) -> Result<JsValue, JsValue> {
        let state = self.state.try_borrow().map_err(|_| busy())?;
        to_js(&state.config_output())
    }

    /// A fresh model (next seed) with the same settings, keeping the loaded data.
    pub fn reset(&self) -> Result<JsValue, JsValue> {
        let mut state = self.state.try_borrow_mut().map_err(|_| busy())?;
        state.config.seed = state.config.seed.wrapping_add(1);
        state.restart().map_err(js_error)?;
        to_js(&state.config_output())
    }

    /// Runs `steps` optimisation steps, then reads their losses back in one transfer.
    /// Resolves to `{firstStep, losses, mses, kls, accuracies, step, epoch, epochProgress}`,
    /// per-step figures as `Float32Array`s (`kls` and `accuracies` null for models without
    /// a KL term or a classifier).
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
            let state = &mut *state;
            let data = state.data.as_ref().ok_or_else(|| js_error(LabError::NoData))?;
            let trainer = state.trainer.as_mut().ok_or_else(|| js_error(LabError::NoData))?;
            for _ in 0..steps {
                trainer.step(&data.mnist.train);
            }
            let r = trainer.read_back().await.map_err(js_error)?;
            Ok(object(&[
                ("firstStep", (r.first_step as f64).into()),
                ("losses", Float32Array::from(&r.losses[..]).into()),
                ("mses", Float32Array::from(&r.mses[..]).into()),
                ("kls", optional_f32(r.kls)),
                ("accuracies", optional_f32(r.accuracies)),
                ("step", (r.step as f64).into()),
                ("epoch", (r.epoch as f64).into()),
                ("epochProgress", r.epoch_progress.into()),
            ]))
        })
    }

    /// Test metrics `{loss, mse, kl, accuracy, count}` on the fixed 2,000-image subset, or on
    /// all 10,000 test images when `full` is true.
    pub fn evaluate(&self, full: bool) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let data = state.data().map_err(js_error)?;
            let split = if full { &data.mnist.test } else { &data.subset };
            let r = state.trainer().map_err(js_error)?.evaluate(split).await.map_err(js_error)?;
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
            let points = state.trainer().map_err(js_error)?.embed(&data.subset, mean).await.map_err(js_error)?;
            let labels: Vec<u8> = (0..data.subset.len()).map(|i| data.subset.label(i)).collect();
            Ok(object(&[
                ("points", Float32Array::from(&points[..]).into()),
                ("labels", Uint8Array::from(&labels[..]).into()),
            ]))
        })
    }

    /// The 28x28 image decoded from the latent point (x, y), as RGBA bytes.
    pub fn decode(&self, x: f32, y: f32) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            if !(x.is_finite() && y.is_finite()) {
                return Err(js_error(LabError::invalid("latent", format!("the latent point ({x}, {y}) is not finite"))));
            }
            let state = state.try_borrow().map_err(|_| busy())?;
            let image = state.trainer().map_err(js_error)?.decode(&[x, y]).await.map_err(js_error)?;
            Ok(Uint8ClampedArray::from(&gray_to_rgba(&image)[..]).into())
        })
    }

    /// The images decoded from latent points `[x0, y0, x1, y1, ...]` (at most 1024 points),
    /// as RGBA bytes of 28x28 images, concatenated. Used for interpolations.
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
            let images = state.trainer().map_err(js_error)?.decode(&points).await.map_err(js_error)?;
            Ok(Uint8ClampedArray::from(&gray_to_rgba(&images)[..]).into())
        })
    }

    /// The decoded manifold: an `n` x `n` grid of digits decoded from the centres of the
    /// cells of the latent rectangle [x0, x1] x [y0, y1], as one RGBA image of 28n x 28n
    /// pixels with y growing upwards (the top row is y1). Resolves to `{width, height, rgba}`.
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
            let images = state.trainer().map_err(js_error)?.decode(&points).await.map_err(js_error)?;
            let side = n * IMAGE_SIDE;
            Ok(object(&[
                ("width", side.into()),
                ("height", side.into()),
                ("rgba", Uint8ClampedArray::from(&gray_to_rgba(&tile(&images, n, IMAGE_SIDE))[..]).into()),
            ]))
        })
    }

    /// One test digit of each class and its reconstruction: `{count, width, height,
    /// originals, recons}` with RGBA bytes of `count` images concatenated.
    pub fn reconstructions(&self) -> Promise {
        let state = self.state.clone();
        future_to_promise(async move {
            let state = state.try_borrow().map_err(|_| busy())?;
            let data = state.data().map_err(js_error)?;
            let recons = state.trainer().map_err(js_error)?.reconstruct(&data.mnist.test, &data.strip).await.map_err(js_error)?;
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
}

/// `n` distinct examples of `split` chosen by a fixed seed.
fn random_subset(split: &MnistSplit, n: usize, seed: u64) -> MnistSplit {
    let mut order: Vec<usize> = (0..split.len()).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    order.truncate(n);
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

fn whole_number(field: &'static str, what: &str, v: f64) -> Result<u64, LabError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 2f64.powi(53) {
        Ok(v as u64)
    } else {
        Err(LabError::invalid(field, format!("the {what} must be a whole number, not {v}")))
    }
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
