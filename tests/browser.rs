//! The Session API in headless Chromium (wasm-bindgen-test): the CPU backends and WebGPU
//! (Chromium's software adapter, enabled by --enable-unsafe-webgpu in webdriver.json).
//! Data: the real MNIST test files, compiled in (the runner serves no files of ours).
#![cfg(target_arch = "wasm32")]

// Both backends are tested, so the tests run on the page's WebGPU build.
#[cfg(not(feature = "gpu"))]
compile_error!(
    "the browser tests need the WebGPU build: cargo test --release --target wasm32-unknown-unknown --features gpu --test browser"
);

use js_sys::{Float32Array, Reflect, Uint8ClampedArray};
use latent_lab::web::{Collector, Session};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

const TEST_IMAGES: &[u8] = include_bytes!("../data/mnist/t10k-images-idx3-ubyte");
const TEST_LABELS: &[u8] = include_bytes!("../data/mnist/t10k-labels-idx1-ubyte");
/// The frozen MNIST judge the set-up installs (`latent-lab judge` trains the same weights).
const JUDGE: &[u8] = include_bytes!("../assets/mnist-judge.bpk");

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn config(fields: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in fields {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

/// A session on `backend` with the test split doubling as training data.
async fn session(backend: &str, batch: f64) -> Session {
    let s = Session::create(backend.into(), None).await.unwrap();
    s.load_idx("mnist".into(), TEST_IMAGES, TEST_LABELS, TEST_IMAGES, TEST_LABELS).unwrap();
    s.configure(config(&[("batchSize", batch.into())])).unwrap();
    s
}

/// Trains `steps`, decodes two latent points; checks the figures and image sizes.
async fn trains_and_decodes(s: &Session, steps: u32) {
    let r = JsFuture::from(s.train(steps)).await.unwrap();
    let losses: Float32Array = get(&r, "losses").dyn_into().unwrap();
    assert_eq!(losses.length(), steps);
    assert!(losses.to_vec().iter().all(|l| l.is_finite() && *l > 0.0));
    assert_eq!(get(&r, "step").as_f64(), Some(steps as f64));
    let a: Uint8ClampedArray = JsFuture::from(s.decode(0.0, 0.0)).await.unwrap().dyn_into().unwrap();
    let b: Uint8ClampedArray = JsFuture::from(s.decode(5.0, 3.0)).await.unwrap().dyn_into().unwrap();
    assert_eq!(a.length(), 28 * 28 * 4);
    assert_ne!(a.to_vec(), b.to_vec(), "two latent points decode to the same image");
}

#[wasm_bindgen_test]
async fn cpu_backends_train_and_decode() {
    for backend in ["cpu", "flex", "ndarray"] {
        let s = session(backend, 64.0).await;
        assert_eq!(get(&s.backend().unwrap(), "kind").as_string().unwrap(), if backend == "ndarray" { "ndarray" } else { "flex" });
        assert!(get(&s.backend().unwrap(), "maxBuffer").is_null(), "a CPU backend has no buffer limit");
        trains_and_decodes(&s, 5).await;
        let lat = JsFuture::from(s.latents(false)).await.unwrap();
        assert_eq!(get(&lat, "points").dyn_into::<Float32Array>().unwrap().length(), 2 * 2000);
        let ev = JsFuture::from(s.evaluate(false)).await.unwrap();
        assert_eq!(get(&ev, "count").as_f64(), Some(2000.0));
        assert!(get(&ev, "loss").as_f64().unwrap().is_finite());
    }
}

#[wasm_bindgen_test]
async fn classifier_reports_accuracy() {
    let s = session("cpu", 64.0).await;
    s.configure(config(&[("model", "ae-classifier".into())])).unwrap();
    let r = JsFuture::from(s.train(2)).await.unwrap();
    let acc: Float32Array = get(&r, "accuracies").dyn_into().unwrap();
    assert!(acc.to_vec().iter().all(|a| (0.0..=1.0).contains(a)));
}

/// `navigator.gpu.requestAdapter()` in this worker.
fn navigator_gpu_adapter() -> js_sys::Promise {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    let request: js_sys::Function = get(&gpu, "requestAdapter").dyn_into().unwrap();
    request.call0(&gpu).unwrap().dyn_into().unwrap()
}

#[wasm_bindgen_test]
async fn webgpu_trains_and_decodes() {
    // Tiny on purpose: the software adapter takes seconds per step.
    let s = session("webgpu", 16.0).await;
    let backend = s.backend().unwrap();
    assert_eq!(get(&backend, "kind").as_string().unwrap(), "webgpu", "{:?}", get(&backend, "reason"));
    // The device's largest buffer, which bounds the batch: the adapter's own limits (burn
    // requests them whole), at least WebGPU's guaranteed 128 MiB.
    let adapter = JsFuture::from(navigator_gpu_adapter()).await.unwrap();
    let limits = get(&adapter, "limits");
    let adapter_most = get(&limits, "maxStorageBufferBindingSize").as_f64().unwrap().min(get(&limits, "maxBufferSize").as_f64().unwrap());
    assert_eq!(get(&backend, "maxBuffer").as_f64(), Some(adapter_most));
    assert!(adapter_most >= (128 << 20) as f64);
    trains_and_decodes(&s, 2).await;
}

#[wasm_bindgen_test]
async fn vae_trains_decodes_and_draws_the_manifold() {
    // WebGPU included, kept tiny: the software adapter compiles the VAE's kernels anew.
    for backend in ["cpu", "webgpu"] {
        let s = session(backend, 16.0).await;
        let out = s.configure(config(&[("model", "vae".into()), ("batchSize", 16.0.into())])).unwrap();
        assert_eq!(get(&get(&out, "config"), "model").as_string().as_deref(), Some("vae"));
        trains_and_decodes(&s, 2).await;
        let r = JsFuture::from(s.train(1)).await.unwrap();
        let kls: Float32Array = get(&r, "kls").dyn_into().unwrap();
        assert!(kls.to_vec().iter().all(|k| k.is_finite() && *k >= 0.0), "{backend}: {:?}", kls.to_vec());
        let m = JsFuture::from(s.manifold(-2.0, 2.0, -1.0, 3.0, 4)).await.unwrap();
        assert_eq!(get(&m, "width").as_f64(), Some(112.0));
        let rgba: Uint8ClampedArray = get(&m, "rgba").dyn_into().unwrap();
        assert_eq!(rgba.length(), 112 * 112 * 4);
        // The scatter of means is deterministic, the sampled codes are not.
        let session = &s;
        let points = |mean: bool| async move {
            let l = JsFuture::from(session.latents(mean)).await.unwrap();
            get(&l, "points").dyn_into::<Float32Array>().unwrap().to_vec()
        };
        assert_eq!(points(true).await, points(true).await);
        assert_ne!(points(false).await, points(false).await);
    }
}

#[wasm_bindgen_test]
async fn bad_input_is_an_error_not_a_panic() {
    let s = Session::create("cpu".into(), None).await.unwrap();
    // A truncated images file names the file and the problem.
    let err = s.load_idx("mnist".into(), &TEST_IMAGES[..1000], TEST_LABELS, TEST_IMAGES, TEST_LABELS).unwrap_err();
    assert_eq!(get(&err, "name").as_string().unwrap(), "DataError");
    let msg = get(&err, "message").as_string().unwrap();
    assert!(msg.contains("train-images-idx3-ubyte") && msg.contains("truncated"), "{msg}");
    // Labels given where images belong: wrong magic.
    let err = s.load_idx("mnist".into(), TEST_LABELS, TEST_LABELS, TEST_IMAGES, TEST_LABELS).unwrap_err();
    assert!(get(&err, "message").as_string().unwrap().contains("magic"));
    // Nothing loaded yet: training is refused, not a crash.
    assert!(JsFuture::from(s.train(1)).await.is_err());
    // The session still works after the failures.
    s.load_idx("mnist".into(), TEST_IMAGES, TEST_LABELS, TEST_IMAGES, TEST_LABELS).unwrap();
    for (field, value) in [
        ("learningRate", JsValue::from(-1.0)),
        ("learningRate", JsValue::from(f64::NAN)),
        ("batchSize", JsValue::from(0.0)),
        ("batchSize", JsValue::from(1e9)),
        ("batchSize", JsValue::from(2.5)),
        ("model", JsValue::from("nope")),
    ] {
        let err = s.configure(config(&[(field, value)])).unwrap_err();
        assert_eq!(get(&err, "field").as_string().as_deref(), Some(field));
    }
    assert!(Session::create("tpu".into(), None).await.is_err());
    assert!(JsFuture::from(s.decode(f32::NAN, 0.0)).await.is_err());
    let err = JsFuture::from(s.train(1_000_000)).await.unwrap_err();
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("steps"));
    for bad in [s.manifold(0.0, 1.0, 0.0, 1.0, 0), s.manifold(1.0, 0.0, 0.0, 1.0, 4), s.manifold(0.0, f32::NAN, 0.0, 1.0, 4)] {
        let err = JsFuture::from(bad).await.unwrap_err();
        assert_eq!(get(&err, "field").as_string().as_deref(), Some("manifold"));
    }
    assert!(JsFuture::from(s.decode_points(vec![1.0, 2.0, 3.0])).await.is_err());
    let err = s.configure(config(&[("beta", JsValue::from(-1.0))])).unwrap_err();
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("beta"));
    trains_and_decodes(&s, 1).await;
}

/// A diverging run is flagged, not crashed; rollback returns to the last good state with lower
/// learning rates; checkpoints that do not fit are typed errors and leave the run as it was.
#[wasm_bindgen_test]
async fn divergence_rollback_and_bad_checkpoints() {
    let s = session("cpu", 64.0).await;
    s.configure(config(&[("model", "vae".into()), ("learningRate", 10.0.into())])).unwrap();
    let mut diverged = JsValue::NULL;
    for _ in 0..20 {
        let r = JsFuture::from(s.train(2)).await.unwrap();
        diverged = get(&r, "diverged");
        if !diverged.is_null() {
            break;
        }
    }
    assert!(!diverged.is_null(), "learning rate 10 did not diverge the VAE in 40 steps");
    let message = get(&diverged, "message").as_string().unwrap();
    assert!(message.starts_with("the loss became") || message.starts_with("the loss exploded"), "{message}");
    let back_to = get(&diverged, "rollbackStep").as_f64().unwrap();
    for bad in [0.0, -1.0, 2.0, f64::NAN] {
        let err = s.rollback(bad).unwrap_err();
        assert_eq!(get(&err, "field").as_string().as_deref(), Some("factor"));
    }
    let rolled = s.rollback(0.1).unwrap();
    assert_eq!(get(&rolled, "step").as_f64(), Some(back_to));
    let lr = get(&get(&get(&rolled, "config"), "values"), "learningRate").as_f64().unwrap();
    assert!((lr - 1.0).abs() < 1e-12, "{lr}");

    // A checkpoint of the VAE: a truncated copy, and the same under the autoencoder's name, are
    // refused with typed errors; the VAE stays loaded.
    let bytes = JsFuture::from(s.checkpoint(String::new())).await.unwrap().dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
    let before = JsFuture::from(s.decode(0.5, 0.5)).await.unwrap().dyn_into::<Uint8ClampedArray>().unwrap().to_vec();
    let err = s.load_checkpoint(&bytes[..bytes.len() - 3]).unwrap_err();
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("DataError"));
    let header_len = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let header = String::from_utf8(bytes[12..12 + header_len].to_vec()).unwrap().replacen("\"vae\"", "\"ae\"", 1);
    let mut forged = bytes[..8].to_vec();
    forged.extend_from_slice(&(header.len() as u32).to_le_bytes());
    forged.extend_from_slice(header.as_bytes());
    forged.extend_from_slice(&bytes[12 + header_len..]);
    let err = s.load_checkpoint(&forged).unwrap_err();
    assert!(get(&err, "message").as_string().unwrap().contains("checkpoint"), "{:?}", get(&err, "message"));
    let after = JsFuture::from(s.decode(0.5, 0.5)).await.unwrap().dyn_into::<Uint8ClampedArray>().unwrap().to_vec();
    assert_eq!(before, after, "a refused checkpoint changed the model");
    let loaded = s.load_checkpoint(&bytes).unwrap();
    assert_eq!(get(&get(&loaded, "config"), "model").as_string().as_deref(), Some("vae"));
}

/// The GPU failing mid-run: the run moves to the CPU from its last good state (kept on
/// WebGPU by reading the weights back asynchronously) and trains on; a checkpoint saved on
/// WebGPU holds the weights without the optimiser state.
#[wasm_bindgen_test]
async fn a_failed_gpu_falls_back_to_the_cpu_from_the_last_good_state() {
    let s = session("webgpu", 16.0).await;
    assert_eq!(get(&s.backend().unwrap(), "kind").as_string().as_deref(), Some("webgpu"));
    // The first read-back takes a snapshot (step 1), the second trusts it.
    for _ in 0..2 {
        let r = JsFuture::from(s.train(1)).await.unwrap();
        assert!(get(&r, "diverged").is_null());
    }
    let bytes = JsFuture::from(s.checkpoint(String::new())).await.unwrap().dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
    let fell = s.fall_back_to_cpu("test: the GPU failed".into()).unwrap();
    assert_eq!(get(&fell, "step").as_f64(), Some(1.0));
    assert_eq!(get(&get(&fell, "backend"), "kind").as_string().as_deref(), Some("flex"));
    assert_eq!(get(&s.backend().unwrap(), "reason").as_string().as_deref(), Some("test: the GPU failed"));
    let r = JsFuture::from(s.train(1)).await.unwrap();
    assert_eq!(get(&r, "step").as_f64(), Some(2.0));
    assert!(get(&r, "losses").dyn_into::<Float32Array>().unwrap().to_vec()[0].is_finite());
    // The WebGPU checkpoint (step 2) loads on the CPU, with a note that its optimiser starts afresh.
    let loaded = s.load_checkpoint(&bytes).unwrap();
    assert_eq!(get(&loaded, "step").as_f64(), Some(2.0));
    assert!(get(&loaded, "optimizerNote").as_string().unwrap().contains("no optimiser state"));
}

/// A WebGPU run saved and loaded on WebGPU: same weights, data position and random draws, so
/// the next step's loss is the one the run would have had (its optimiser starts afresh: burn
/// writes optimiser records by reading tensors synchronously, which WebGPU cannot).
#[wasm_bindgen_test]
async fn a_webgpu_checkpoint_resumes_on_webgpu_with_the_same_next_loss() {
    let first_loss = |r: JsValue| get(&r, "losses").dyn_into::<Float32Array>().unwrap().to_vec()[0];
    let a = session("webgpu", 16.0).await;
    JsFuture::from(a.train(2)).await.unwrap();
    let save = |s: &Session| JsFuture::from(s.checkpoint(String::new()));
    let bytes = save(&a).await.unwrap().dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
    let next = first_loss(JsFuture::from(a.train(1)).await.unwrap());
    let b = session("webgpu", 16.0).await;
    let loaded = b.load_checkpoint(&bytes).unwrap();
    assert_eq!(get(&loaded, "step").as_f64(), Some(2.0));
    let resumed = JsFuture::from(b.train(1)).await.unwrap();
    assert_eq!(get(&resumed, "firstStep").as_f64(), Some(3.0));
    assert_eq!(first_loss(resumed).to_bits(), next.to_bits(), "the resumed run's next loss differs");
    // Saved a step later: the rollback snapshot kept of step 2 must not stand in for it.
    let later = save(&a).await.unwrap().dyn_into::<js_sys::Uint8Array>().unwrap().to_vec();
    assert_eq!(get(&b.load_checkpoint(&later).unwrap(), "step").as_f64(), Some(3.0));
}

/// Polynomial images as `latent-lab polydata` writes them (a few hundred suffice).
fn polydata(count: usize) -> Vec<u8> {
    latent_lab::data::npy::write(&latent_lab::data::poly::generate(count, 1), latent_lab::data::npy::Dtype::F32)
}

/// A .npy of your own for the polynomial GANs, as the page's worker hands it over.
fn load_npy(s: &Session, name: &str, bytes: &[u8]) -> Result<JsValue, JsValue> {
    let mut collector = Collector::new("side40".into())?;
    assert_eq!(collector.add_file(name, bytes.to_vec())?.length(), 0, "a .npy has nothing to decode");
    s.load_own(collector, name.into())
}

/// The polynomial GANs' built-in images, made in wasm, are the native ones to the bit: the same
/// fingerprint as tests/session.rs finds (the bits of their smoothness figure).
#[wasm_bindgen_test]
async fn the_built_in_polynomial_images_are_the_native_ones() {
    let s = session("cpu", 16.0).await;
    s.configure(config(&[("model", "wgan-poly".into())])).unwrap();
    let made = s.generate_polydata().unwrap();
    assert_eq!(get(&made, "train").as_f64(), Some(20_000.0));
    assert_eq!(get(&made, "smoothness").as_f64().map(f64::to_bits), Some(4435765905594504744));
    assert_eq!(get(&made, "restarted").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn every_gan_steps_and_draws_its_samples() {
    // WebGPU included, with one critic update and tiny batches: the software adapter
    // compiles every kernel anew and takes seconds per step.
    for backend in ["cpu", "webgpu"] {
        let s = session(backend, 16.0).await;
        load_npy(&s, "test.npy", &polydata(256)).unwrap();
        for (model, side, plane) in [("dcgan-mnist", 28.0, false), ("dcgan-poly", 40.0, true), ("wgan-poly", 40.0, true)] {
            let out = s.configure(config(&[("model", model.into())])).unwrap();
            assert_eq!(get(&out, "ready").as_bool(), Some(true), "{model}");
            let mut change = vec![("batchSize", JsValue::from(4.0))];
            if model == "wgan-poly" {
                change.push(("nCritic", 1.0.into()));
            }
            s.configure(config(&change)).unwrap();
            let kind = get(&s.backend().unwrap(), "kind").as_string().unwrap();
            // The CPU backend left to us is burn-flex for the convolutional GANs.
            assert_eq!(kind, if backend == "cpu" { "flex" } else { "webgpu" });
            let r = JsFuture::from(s.train(1)).await.unwrap();
            assert_eq!(get(&s.config().unwrap(), "family").as_string().as_deref(), Some("gan"));
            for key in ["criticLosses", "generatorLosses"] {
                let v = get(&r, key).dyn_into::<Float32Array>().unwrap().to_vec();
                assert!(v.len() == 1 && v[0].is_finite(), "{backend} {model} {key}: {v:?}");
            }
            let grid = JsFuture::from(s.samples(3)).await.unwrap();
            assert_eq!(get(&grid, "width").as_f64(), Some(3.0 * side), "{model}");
            let rgba: Uint8ClampedArray = get(&grid, "rgba").dyn_into().unwrap();
            assert_eq!(rgba.length() as f64, (3.0 * side) * (3.0 * side) * 4.0);
            // The polynomial GANs' noise is a plane: two points give two images.
            let a = JsFuture::from(s.decode(0.0, 0.0)).await;
            if plane {
                let b = JsFuture::from(s.decode(2.0, -1.0)).await.unwrap();
                let a: Uint8ClampedArray = a.unwrap().dyn_into().unwrap();
                assert_eq!(a.length() as f64, side * side * 4.0);
                assert_ne!(a.to_vec(), b.dyn_into::<Uint8ClampedArray>().unwrap().to_vec(), "{model}");
                let m = JsFuture::from(s.meters()).await.unwrap();
                let smooth = get(&m, "smoothness").as_f64().unwrap();
                assert!((0.0..=1.0).contains(&smooth), "{model}: {smooth}");
                assert!(get(&m, "realSmoothness").as_f64().unwrap() < 1e-3);
                let distance = get(&m, "degreeDistance").as_f64().unwrap();
                assert!((0.0..=1.0).contains(&distance), "{model}: {distance}");
            } else {
                assert_eq!(get(&a.unwrap_err(), "field").as_string().as_deref(), Some("latent"));
            }
        }
    }
}

#[wasm_bindgen_test]
async fn bad_npy_files_are_errors_that_name_the_file() {
    let s = session("cpu", 16.0).await;
    s.configure(config(&[("model", "wgan-poly".into())])).unwrap();
    // Not ready until its data comes, and says so.
    let err = JsFuture::from(s.train(1)).await.unwrap_err();
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("NoData"));
    let good = polydata(16);
    let mut bad_magic = good.clone();
    bad_magic[0] = b'X';
    let mut wrong_rank = good.clone();
    let at = wrong_rank.windows(12).position(|w| w == b"(16, 40, 40)").unwrap();
    wrong_rank[at..at + 12].copy_from_slice(b"(640, 40)   ");
    for (bytes, needle) in [
        (&bad_magic[..], "not a .npy file"),
        (&good[..good.len() - 4], "truncated"),
        (&wrong_rank[..], "the shape is [640, 40]"),
        (&[][..], "not a .npy file"),
    ] {
        let err = load_npy(&s, "mine.npy", bytes).unwrap_err();
        assert_eq!(get(&err, "name").as_string().as_deref(), Some("DataError"));
        let msg = get(&err, "message").as_string().unwrap();
        assert!(msg.contains("mine.npy") && msg.contains(needle), "{msg}");
    }
    // A GAN setting the model does not have is refused by name.
    let err = s.configure(config(&[("beta", 0.5.into())])).unwrap_err();
    assert_eq!(get(&err, "field").as_string().as_deref(), Some("beta"));
    // The session still works with a good file.
    load_npy(&s, "mine.npy", &good).unwrap();
    s.configure(config(&[("batchSize", 4.0.into()), ("nCritic", 1.0.into())])).unwrap();
    assert!(JsFuture::from(s.train(1)).await.is_ok());
}

#[wasm_bindgen_test]
async fn the_mnist_dcgan_is_judged_by_the_frozen_classifier() {
    let s = session("cpu", 16.0).await;
    s.configure(config(&[("model", "dcgan-mnist".into()), ("batchSize", 4.0.into())])).unwrap();
    JsFuture::from(s.train(1)).await.unwrap();
    // No judge yet: a clear error, then damaged weights are refused by what they are.
    let err = JsFuture::from(s.meters()).await.unwrap_err();
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("NoData"));
    for bad in [&JUDGE[..JUDGE.len() / 2], &[0u8; 64][..], &[][..]] {
        let err = s.load_judge("mnist".into(), bad.to_vec()).unwrap_err();
        assert_eq!(get(&err, "name").as_string().as_deref(), Some("DataError"));
        assert!(get(&err, "message").as_string().unwrap().contains("judge"));
    }
    assert_eq!(get(&s.load_judge("mnist".into(), JUDGE.to_vec()).unwrap(), "features").as_f64(), Some(64.0));
    let m = JsFuture::from(s.meters()).await.unwrap();
    let histogram: js_sys::Array = get(&m, "histogram").dyn_into().unwrap();
    let total: f64 = histogram.iter().map(|n| n.as_f64().unwrap()).sum();
    assert_eq!((histogram.length(), total), (10, 256.0));
    let confidence = get(&m, "confidence").as_f64().unwrap();
    assert!((0.1..=1.0).contains(&confidence), "{confidence}");
    // Real test digits: confident, all ten, and far closer to the reference than an
    // untrained generator's blobs.
    assert!(get(&m, "realConfidence").as_f64().unwrap() > 0.95);
    assert_eq!(get(&m, "realCovered").as_f64(), Some(10.0));
    let (real, frechet) = (get(&m, "realFrechet").as_f64().unwrap(), get(&m, "frechet").as_f64().unwrap());
    assert!(real * 10.0 < frechet, "real {real}, samples {frechet}");
}

/// How the CPU's and WebGPU's figures of a model's first steps are held to each other.
#[derive(Clone, Copy, PartialEq)]
enum Agree {
    /// Step by step: the figure draws no noise, and the runs differ by float rounding only.
    EveryStep,
    /// The first step only: the figure does not depend on the noise (a VAE's KL term), but the
    /// steps after it do, as each device draws its own noise.
    FirstStep,
    /// The mean over the steps within this fraction of it: the figure depends on the noise
    /// throughout.
    InTheMean(f32),
    /// The mean size over the steps within this factor: a Wasserstein estimate swings about
    /// zero with the noise, so its mean says nothing, but a wrong kernel changes its size.
    SameSize(f32),
}

/// Each model's first steps on WebGPU and on the CPU, from the same weights (a CPU checkpoint
/// loaded on WebGPU) and the same batches (same seed and step). What it guards against is a
/// WebGPU kernel that computes wrongly (burn's fusion with autotune trained wrongly on Vulkan:
/// tracel-ai/burn#5079, #5257), which leaves the figures far apart within a few steps. The
/// autoencoders draw no noise: their losses agree step by step to float rounding (3e-7 of
/// them, measured). The VAEs and GANs draw their noise from each device's own generator, so
/// the runs part after the first step: the VAE's first KL term agrees as closely, and the
/// rest only in the mean over the steps (measured 1 to 3 % apart for the VAEs' errors, 3 to
/// 27 % for the DCGANs' losses at batch 4), or in size (the WGAN's, which swing about zero).
/// A GAN's generator is held more closely before
/// training: from the same weights, its grid of samples (drawn from noise made on the host)
/// is the same image on both, to 2 of 255 in every channel.
#[wasm_bindgen_test]
async fn webgpu_trains_like_the_cpu() {
    use Agree::*;
    /// Largest relative difference of one step's figure, noise aside.
    const ROUNDING: f32 = 1e-4;
    let figures = |r: &JsValue, key: &str| get(r, key).dyn_into::<Float32Array>().unwrap().to_vec();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let size = |v: &[f32]| v.iter().map(|x| x.abs()).sum::<f32>() / v.len() as f32;
    let relative = |a: f32, b: f32| (a - b).abs() / a.abs().max(1e-3);
    // Each model, the steps it trains on both, and how each of its figures must agree.
    type Case = (&'static str, u32, &'static [(&'static str, Agree)]);
    let cases: [Case; 7] = [
        ("ae", 24, &[("losses", EveryStep)]),
        ("ae-classifier", 24, &[("losses", EveryStep)]),
        ("vae", 24, &[("kls", FirstStep), ("mses", InTheMean(0.25))]),
        ("vae-classifier", 24, &[("kls", FirstStep), ("mses", InTheMean(0.25))]),
        ("dcgan-mnist", 6, &[("criticLosses", InTheMean(0.6)), ("generatorLosses", InTheMean(0.6))]),
        ("dcgan-poly", 6, &[("criticLosses", InTheMean(0.6)), ("generatorLosses", InTheMean(0.6))]),
        ("wgan-poly", 6, &[("criticLosses", SameSize(3.0)), ("generatorLosses", SameSize(3.0))]),
    ];
    for (model, steps, keys) in cases {
        let mut runs = Vec::new();
        let mut grids = Vec::new();
        let mut start = None;
        for backend in ["cpu", "webgpu"] {
            let s = session(backend, 16.0).await;
            load_npy(&s, "test.npy", &polydata(256)).unwrap();
            s.configure(config(&[("model", model.into())])).unwrap();
            let mut change = vec![("batchSize", JsValue::from(if model.contains("gan") { 4.0 } else { 16.0 }))];
            if model == "wgan-poly" {
                change.push(("nCritic", 1.0.into()));
            }
            s.configure(config(&change)).unwrap();
            match &start {
                None => {
                    start =
                        Some(JsFuture::from(s.checkpoint(String::new())).await.unwrap().dyn_into::<js_sys::Uint8Array>().unwrap().to_vec())
                }
                Some(bytes) => assert_eq!(get(&s.load_checkpoint(bytes).unwrap(), "step").as_f64(), Some(0.0), "{model}"),
            }
            if model.contains("gan") {
                let grid = JsFuture::from(s.samples(4)).await.unwrap();
                grids.push(get(&grid, "rgba").dyn_into::<Uint8ClampedArray>().unwrap().to_vec());
            }
            runs.push(JsFuture::from(s.train(steps)).await.unwrap());
        }
        if let [cpu, gpu] = &grids[..] {
            let apart = cpu.iter().zip(gpu).map(|(&a, &b)| a.abs_diff(b)).max().unwrap();
            wasm_bindgen_test::console_log!("{model} samples before training: {apart} of 255 apart at most");
            assert!(apart <= 2, "{model}: the untrained generator's samples differ by {apart} of 255");
        }
        for &(key, agree) in keys {
            let (cpu, gpu) = (figures(&runs[0], key), figures(&runs[1], key));
            assert_eq!((cpu.len(), gpu.len()), (steps as usize, steps as usize), "{model} {key}");
            let worst = cpu.iter().zip(&gpu).map(|(&a, &b)| relative(a, b)).fold(0.0f32, f32::max);
            let (first, means) = (relative(cpu[0], gpu[0]), relative(mean(&cpu), mean(&gpu)));
            let sizes = size(&cpu).max(size(&gpu)) / size(&cpu).min(size(&gpu)).max(1e-6);
            let (apart, bound) = match agree {
                EveryStep => (worst, ROUNDING),
                FirstStep => (first, ROUNDING),
                InTheMean(bound) => (means, bound),
                SameSize(bound) => (sizes, bound),
            };
            wasm_bindgen_test::console_log!(
                "{model} {key}: worst step {worst:.1e}, first step {first:.1e}, means {means:.1e}, sizes x{sizes:.2}"
            );
            assert!(
                apart.is_finite() && apart < bound,
                "{model} {key}: {apart:.2e} apart, at most {bound} allowed\n  cpu {cpu:?}\n  webgpu {gpu:?}"
            );
        }
    }
}
