//! The session core, natively: what the page's worker and the command line both drive. Data
//! meant for one model never touches another model's run, every value is checked before
//! anything changes, a link keeps each refusal, a refused value blocks no other edit, and a
//! divergence rolls back to the last good state (and a failed GPU hands the run on from it).
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;

use latent_lab::backend::{self, Backend, BackendKind};
use latent_lab::catalog::{Builtin, Control, DataSlot, MAX_WHOLE};
use latent_lab::data::npy::{self, Dtype};
use latent_lab::data::own::Collector;
use latent_lab::data::poly;
use latent_lab::data::split::IDX_FILES;
use latent_lab::session::{Loaded, Meters, Session, Split};
use latent_lab::settings::SettingsInput;
use latent_lab::train::Figure;

/// A session on burn-flex with MNIST loaded, whose clock the test moves by hand.
fn session() -> (Session, Rc<Cell<f64>>) {
    session_on(backend::cpu(BackendKind::Flex, "test"))
}

fn session_on(backend: Backend) -> (Session, Rc<Cell<f64>>) {
    let now = Rc::new(Cell::new(0.0));
    let clock = now.clone();
    let mut session = Session::new(backend, Box::new(move || clock.get()));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let files = IDX_FILES.map(|f| std::fs::read(dir.join(f)).expect("run scripts/setup.sh first"));
    let loaded = session.load_idx(Builtin::Mnist, [&files[0], &files[1], &files[2], &files[3]]).unwrap();
    assert_eq!((loaded.summary.train, loaded.summary.test), (60_000, 10_000));
    assert!(loaded.restarted, "the autoencoder trains on MNIST");
    (session, now)
}

fn polydata(count: usize) -> Vec<u8> {
    npy::write(&poly::generate(count, 3), Dtype::F32)
}

/// Your own .npy of `count` polynomial images, as the page's drop and `--dataset PATH` load it.
fn load_poly(s: &mut Session, name: &str, count: usize) -> Loaded {
    let mut collector = Collector::new(DataSlot::Side40);
    collector.add_file(name, polydata(count)).unwrap();
    s.load_own(collector.finish(name).unwrap()).unwrap()
}

fn change(model: Option<&str>, values: &[(&str, f64)]) -> SettingsInput {
    let input = SettingsInput { model: model.map(Into::into), ..SettingsInput::default() };
    values.iter().fold(input, |input, &(field, value)| input.with(field, value))
}

fn train(session: &mut Session, steps: u32) -> latent_lab::session::Trained {
    pollster::block_on(session.train(steps)).unwrap()
}

/// State bug 1: new polynomial images (a dropped .npy, or the fetch a GAN pick started) leave
/// a running autoencoder's run alone; for a polynomial GAN they start its run over, and say so.
#[test]
fn data_for_one_model_never_touches_another_models_run() {
    let (mut s, _) = session();
    s.configure(&change(None, &[("batchSize", 64.0)])).unwrap();
    train(&mut s, 3);
    let loaded = load_poly(&mut s, "mine.npy", 200);
    assert!(!loaded.restarted);
    assert_eq!(s.step_count().unwrap(), 3, "the autoencoder's run was reset by data it does not train on");
    assert_eq!(s.config().model, "ae");

    let picked = s.configure(&change(Some("wgan-poly"), &[])).unwrap();
    assert!(picked.reset && picked.ready);
    train(&mut s, 2);
    let loaded = load_poly(&mut s, "other.npy", 100);
    assert!(loaded.restarted, "new data for the current model starts a new run");
    assert_eq!((loaded.summary.train, s.step_count().unwrap()), (100, 0));
    // A set smaller than the batch is taken, with the batch lowered to fit and a notice.
    s.configure(&change(None, &[("batchSize", 50.0)])).unwrap();
    train(&mut s, 1);
    let loaded = load_poly(&mut s, "tiny.npy", 10);
    assert!(loaded.restarted);
    assert_eq!(loaded.notice.as_deref(), Some("The batch size is now 10, as the data holds only 10 images (it was 50)."));
    assert_eq!(s.config().values["batchSize"], Some(10.0));
    train(&mut s, 2);
    assert_eq!(s.step_count().unwrap(), 2);
    // Another model picked on it starts with a batch that fits, too.
    s.configure(&change(Some("dcgan-poly"), &[])).unwrap();
    assert_eq!(s.config().values["batchSize"], Some(10.0));
}

/// The smoothness figure of the polynomial GANs' built-in images, to the bit: a fingerprint of
/// the set, which the page's wasm build makes the same (tests/browser.rs holds it too).
const BUILT_IN_SMOOTHNESS: u64 = 4435765905594504744; // 3.524997823943574e-12

/// The polynomial GANs' built-in images are made by the session when asked (the page asks
/// when such a model is first picked): the set `latent-lab polydata` writes by default (its
/// defaults are the same constants).
#[test]
fn the_built_in_polynomial_images_are_made_on_demand() {
    let (mut s, _) = session();
    let picked = s.configure(&change(Some("wgan-poly"), &[])).unwrap();
    assert!(!picked.ready, "the model waits for its data");
    let made = s.generate_polydata().unwrap();
    assert!(made.restarted);
    assert_eq!((made.summary.train, made.summary.slot, made.summary.id.builtin()), (20_000, DataSlot::Side40, Some(Builtin::Poly)));
    assert_eq!(made.summary.smoothness.map(f64::to_bits), Some(BUILT_IN_SMOOTHNESS));
    train(&mut s, 1);
}

/// State bug 2: a seed of 2^53 cannot come back to the page as the same number; it is
/// refused before anything changes, and a reset from the largest seed wraps to 0.
#[test]
fn every_value_is_checked_before_anything_changes() {
    let (mut s, _) = session();
    s.configure(&change(Some("vae"), &[])).unwrap();
    let before = s.config();
    let err = s.configure(&SettingsInput { model: Some("ae".into()), seed: Some(2f64.powi(53)), ..Default::default() }).unwrap_err();
    assert_eq!(err.field(), Some("seed"));
    assert_eq!((s.config().model, s.config().seed), (before.model, before.seed));
    s.configure(&SettingsInput { seed: Some(MAX_WHOLE as f64), ..Default::default() }).unwrap();
    s.reset().unwrap();
    assert_eq!(s.config().seed, 0);
}

/// State bug 3: a link's refusal stays when a later value of it is accepted, and a link the
/// page writes for an autoencoder is one it accepts.
#[test]
fn a_link_keeps_its_refusals_and_the_page_reads_its_own_links() {
    let (mut s, _) = session();
    let link = SettingsInput { model: Some("nonsense".into()), seed: Some(9.0), ..Default::default() };
    let (done, refusals) = s.configure_link(&link).unwrap();
    assert!(done.ready);
    assert_eq!(s.config().seed, 9);
    assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("model")]);

    let link = change(Some("vae"), &[("learningRate", -1.0), ("beta", 0.5)]);
    let (_, refusals) = s.configure_link(&link).unwrap();
    assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("learningRate")]);
    assert_eq!((s.config().model, s.config().values["beta"]), ("vae", Some(0.5)));

    // The page's own link for the autoencoder, read back, is accepted whole.
    let written = s.config().link;
    assert!(written.iter().all(|(k, _)| *k != "preset"), "{written:?}");
    let mut read = SettingsInput::default();
    for (key, value) in written {
        match key {
            "model" => read.model = Some(value),
            "seed" => read.seed = value.parse().ok(),
            field => read = read.with(field, value.parse().unwrap()),
        }
    }
    let (_, refusals) = s.configure_link(&read).unwrap();
    assert!(refusals.is_empty(), "{refusals:?}");
    // An explicit preset=paper, as older links carry, is the autoencoders' own preset.
    s.configure(&SettingsInput { preset: Some("paper".into()), ..Default::default() }).unwrap();
}

/// A batch whose widest tensor is larger than the device's largest buffer is refused with
/// the largest batch it takes (here a backend that states WebGPU's guaranteed 128 MiB); the
/// CPU, once the run falls back to it, takes it.
#[test]
fn the_batch_fits_the_devices_largest_buffer() {
    let (mut s, _) = session_on(Backend { max_buffer: Some(128 << 20), ..backend::cpu(BackendKind::Flex, "a GPU's limits") });
    let err = s.configure(&change(None, &[("batchSize", 60_000.0)])).unwrap_err();
    assert_eq!(err.field(), Some("batchSize"));
    assert!(err.to_string().contains("at most 42799 for this model, not 60000"), "{err}");
    assert!(err.to_string().contains("this GPU holds at most 134 MB in one buffer"), "{err}");
    // A link's refusal says the same, and the rest of the link is taken.
    let (_, refusals) = s.configure_link(&change(Some("vae"), &[("batchSize", 60_000.0)])).unwrap();
    assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("batchSize")]);
    assert_eq!(s.config().model, "vae");
    s.configure(&change(None, &[("batchSize", 42_799.0)])).unwrap();
    s.fall_back_to_cpu("the GPU failed".into()).unwrap();
    s.configure(&change(None, &[("batchSize", 60_000.0)])).unwrap();
}

/// State bug 4: a refused value changes nothing and blocks no other edit: each change carries
/// only its own field.
#[test]
fn a_refused_value_blocks_no_other_edit() {
    let (mut s, _) = session();
    s.configure(&change(Some("wgan-poly"), &[])).unwrap();
    let err = s.configure(&change(None, &[("nCritic", 0.0)])).unwrap_err();
    assert_eq!(err.field(), Some("nCritic"));
    assert_eq!(s.config().values["nCritic"], Some(2.0), "a refused value is not in force");
    s.configure(&change(None, &[("clip", 0.3)])).unwrap();
    assert_eq!((s.config().values["clip"], s.config().values["nCritic"]), (Some(0.3), Some(2.0)));
}

/// A loss that explodes stops the run with a divergence; a rollback goes back to the last
/// snapshot the following read-back trusted, with a tenth of the learning rate, and training
/// goes on from there. A GPU failure hands the run to the CPU from the same state.
#[test]
fn a_divergence_rolls_back_to_the_last_good_state() {
    let (mut s, now) = session();
    s.configure(&change(Some("vae"), &[("batchSize", 32.0)])).unwrap();
    assert!(train(&mut s, 3).diverged.is_none()); // snapshot of step 3 (the first is due at once)
    now.set(10_000.0);
    assert!(train(&mut s, 2).diverged.is_none()); // step 3 trusted; snapshot of step 5
    s.configure(&change(None, &[("learningRate", 1e9)])).unwrap();
    let mut diverged = None;
    for _ in 0..20 {
        if let Some(d) = train(&mut s, 5).diverged {
            diverged = Some(d);
            break;
        }
    }
    let diverged = diverged.expect("a learning rate of 1e9 diverges");
    // Step 5's snapshot is trusted once a read-back after it is good: at once, or never.
    let good = diverged.rollback_step;
    assert!(good == 3 || good == 5, "{diverged:?}");
    assert_eq!(s.rollback(0.1).unwrap(), good);
    assert_eq!(Control::find("learningRate").unwrap().get(&s.settings().recipe), Some(1e8));
    s.configure(&change(None, &[("learningRate", 1e-3)])).unwrap();
    let next = train(&mut s, 2);
    assert!(next.diverged.is_none());
    assert_eq!((next.report.first_step, next.report.step), (good + 1, good + 2));
    let moved = s.fall_back_to_cpu("the GPU failed (test)".into()).unwrap();
    assert_eq!(moved, good, "the CPU takes the run up from its last good state");
    assert_eq!(s.backend().reason, "the GPU failed (test)");
}

/// The views and meters the page draws come from the session, checked: sizes, palettes,
/// evaluation scopes, and refusals of requests a model cannot answer.
#[test]
fn views_and_meters() {
    let (mut s, _) = session();
    s.configure(&change(None, &[("batchSize", 64.0)])).unwrap();
    let report = train(&mut s, 4).report;
    assert_eq!(report.series.iter().map(|(f, _)| *f).collect::<Vec<_>>(), [Figure::Loss, Figure::Mse]);
    let subset = pollster::block_on(s.evaluate(Split::Subset)).unwrap();
    assert_eq!(subset.count, 2000);
    let (points, labels) = pollster::block_on(s.latents(true)).unwrap();
    assert_eq!((points.len(), labels.len()), (4000, 2000));
    assert_eq!(pollster::block_on(s.decode(&[0.0, 0.0])).unwrap().len(), 28 * 28 * 4);
    assert_eq!(pollster::block_on(s.manifold([-1.0, 1.0, -1.0, 1.0], 3)).unwrap().width, 84);
    assert_eq!(pollster::block_on(s.reconstructions()).unwrap().count, 10);
    for bad in [&[0.0][..], &[f32::NAN, 0.0], &[]] {
        assert_eq!(pollster::block_on(s.decode(bad)).unwrap_err().field(), Some("latent"));
    }
    assert!(pollster::block_on(s.samples(4)).is_err(), "an autoencoder has no samples");

    load_poly(&mut s, "poly.npy", 256);
    s.configure(&change(Some("dcgan-poly"), &[])).unwrap();
    train(&mut s, 2);
    assert_eq!(pollster::block_on(s.samples(6)).unwrap().width, 240);
    assert!(pollster::block_on(s.evaluate(Split::Subset)).is_err(), "a GAN has no test loss");
    let Meters::Poly(m) = pollster::block_on(s.meters()).unwrap() else { panic!("polynomial meters") };
    assert_eq!(m.count, 256);
    assert!(m.real_smoothness.unwrap() < 0.01 && m.smoothness.unwrap() > m.real_smoothness.unwrap());
    // Both degree histograms count their 256 images; an untrained generator's differ from the
    // real images'.
    assert_eq!((m.degrees.iter().sum::<u32>(), m.real_degrees.iter().sum::<u32>()), (256, 256));
    assert!(m.degree_distance.unwrap() > 0.0 && m.degree_distance.unwrap() <= 1.0, "{m:?}");

    // The MNIST DCGAN's meters wait for the judge.
    s.configure(&change(Some("dcgan-mnist"), &[])).unwrap();
    train(&mut s, 1);
    assert!(matches!(pollster::block_on(s.meters()), Err(latent_lab::LabError::NoJudge(_))));
    assert_eq!(pollster::block_on(s.decode(&[0.0, 0.0])).unwrap_err().field(), Some("latent"), "its noise is not a plane");
}

/// A checkpoint goes back through the session; one whose settings were edited to values the
/// page would refuse is refused the same way, and the run stays.
#[test]
fn edited_checkpoint_settings_are_refused() {
    let (mut s, _) = session();
    s.configure(&change(Some("vae"), &[("batchSize", 32.0)])).unwrap();
    train(&mut s, 2);
    let checkpoint = pollster::block_on(s.checkpoint()).unwrap();
    let resumed = s.load_checkpoint(&checkpoint.to_bytes()).unwrap();
    assert_eq!((resumed.step, resumed.optimizer_note), (2, None));
    let mut edited = checkpoint.clone();
    edited.header.settings = edited.header.settings.with("learningRate", -1.0);
    train(&mut s, 1);
    let err = s.load_checkpoint(&edited.to_bytes()).unwrap_err().to_string();
    assert!(err.contains("learning rate"), "{err}");
    assert_eq!(s.step_count().unwrap(), 3, "a refused checkpoint changed the run");
}

fn load_builtin(s: &mut Session, dataset: Builtin) -> Loaded {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(dataset.name());
    let files = IDX_FILES.map(|f| std::fs::read(dir.join(format!("{f}.gz"))).expect("run scripts/setup.sh first"));
    s.load_idx(dataset, [&files[0], &files[1], &files[2], &files[3]]).unwrap()
}

/// A run records the data it trained on: a Fashion-MNIST checkpoint is refused on MNIST with
/// a message naming both, and resumes on Fashion-MNIST (gzipped files are the same data as
/// raw ones: the hash is of the images, not of the files).
#[test]
fn a_checkpoint_resumes_only_on_its_own_data() {
    let (mut s, _) = session();
    let mnist = s.data().id(DataSlot::Side28).cloned().unwrap();
    assert_eq!(load_builtin(&mut s, Builtin::Mnist).summary.id, mnist);
    let fashion = load_builtin(&mut s, Builtin::Fashion);
    assert_eq!(fashion.summary.classes[9], "Ankle boot");
    assert_eq!((fashion.summary.train, fashion.summary.test), (60_000, 10_000));
    s.configure(&change(None, &[("batchSize", 32.0)])).unwrap();
    train(&mut s, 2);
    let bytes = pollster::block_on(s.checkpoint()).unwrap().to_bytes();
    load_builtin(&mut s, Builtin::Mnist);
    train(&mut s, 1);
    let err = s.load_checkpoint(&bytes).unwrap_err().to_string();
    assert!(err.starts_with("this run trained on Fashion-MNIST (") && err.contains("but MNIST ("), "{err}");
    assert_eq!(s.step_count().unwrap(), 1, "the refused checkpoint left the run alone");
    load_builtin(&mut s, Builtin::Fashion);
    assert_eq!(s.load_checkpoint(&bytes).unwrap().step, 2);
}

/// Your own unlabelled images train an autoencoder; a latent classifier refuses them and the
/// run it had stays.
#[test]
fn unlabelled_own_data_trains_an_autoencoder_but_not_a_classifier() {
    let (mut s, _) = session();
    s.configure(&change(Some("ae-classifier"), &[("batchSize", 16.0)])).unwrap();
    train(&mut s, 2);
    let mut collector = Collector::new(DataSlot::Side28);
    for i in 0..40u8 {
        collector.add_rgba(&format!("pics/{i}.png"), 3, 3, &[i * 6, 0, 0, 255].repeat(9)).unwrap();
    }
    let err = s.load_own(collector.finish("pics").unwrap()).unwrap_err().to_string();
    assert!(err.contains("needs labelled data, and your data 'pics'"), "{err}");
    assert_eq!((s.step_count().unwrap(), s.data().id(DataSlot::Side28).unwrap().name.as_str()), (2, "mnist"));

    s.configure(&change(Some("vae"), &[])).unwrap();
    let mut collector = Collector::new(DataSlot::Side28);
    for i in 0..40u8 {
        collector.add_rgba(&format!("pics/{i}.png"), 3, 3, &[i * 6, 0, 0, 255].repeat(9)).unwrap();
    }
    let loaded = s.load_own(collector.finish("pics").unwrap()).unwrap();
    assert!(loaded.restarted && loaded.summary.classes.is_empty());
    assert_eq!((loaded.summary.train, loaded.summary.test), (35, 5));
    assert_eq!(loaded.summary.own.as_ref().unwrap().resized_from, [[3, 3]]);
    train(&mut s, 2);
    assert_eq!(s.real_images(4).unwrap().width, 4 * 28);
    assert_eq!(pollster::block_on(s.latents(true)).unwrap().1, [0; 5]);
}

/// `count` MNIST training digits as your own labelled images (a sub-folder per digit).
fn own_digits(count: usize) -> Collector {
    let mnist = common_mnist();
    let mut collector = Collector::new(DataSlot::Side28);
    for i in 0..count {
        let rgba: Vec<u8> = mnist.train.image(i).iter().flat_map(|&p| [p, p, p, 255]).collect();
        collector.add_rgba(&format!("digits/{}/{i}.png", mnist.train.label(i)), 28, 28, &rgba).unwrap();
    }
    collector
}

fn common_mnist() -> latent_lab::data::Splits {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let files = IDX_FILES.map(|f| std::fs::read(dir.join(f)).expect("run scripts/setup.sh first"));
    latent_lab::data::Splits::from_idx([&files[0], &files[1], &files[2], &files[3]]).unwrap()
}

/// Your own labelled data gets a judge trained on request, a few steps at a time, so that
/// the MNIST DCGAN's meters measure it; its weights, kept, judge the same data in another
/// session. Unlabelled data, and data changed under a judge in training, are refused by name.
#[test]
fn a_judge_is_trained_for_your_own_labelled_data() {
    let (mut s, _) = session();
    s.configure(&change(Some("dcgan-mnist"), &[("batchSize", 32.0)])).unwrap();

    let mut unlabelled = Collector::new(DataSlot::Side28);
    for i in 0..40u8 {
        unlabelled.add_rgba(&format!("pics/{i}.png"), 3, 3, &[i * 6, 0, 0, 255].repeat(9)).unwrap();
    }
    s.load_own(unlabelled.finish("pics").unwrap()).unwrap();
    let err = s.start_judge().unwrap_err().to_string();
    assert!(err.contains("the judge needs labelled data, and your data 'pics'"), "{err}");

    let loaded = s.load_own(own_digits(700).finish("digits").unwrap()).unwrap();
    assert_eq!(loaded.summary.classes.len(), 10);
    assert!(matches!(pollster::block_on(s.meters()), Err(latent_lab::LabError::NoJudge(_))));
    let plan = s.start_judge().unwrap();
    assert_eq!((plan.dataset.as_str(), plan.train), ("digits", 600));
    assert!(plan.steps >= 300 && plan.epochs > 3, "a small set trains more epochs: {plan:?}");
    let mut calls = 0;
    let accuracy = loop {
        let progress = pollster::block_on(s.train_judge(64)).unwrap();
        calls += 1;
        assert!(progress.loss.is_finite() && progress.step <= plan.steps);
        if let Some(accuracy) = progress.accuracy {
            assert_eq!(progress.step, plan.steps);
            break accuracy;
        }
    };
    assert_eq!(calls, plan.steps.div_ceil(64));
    assert!(accuracy > 0.8, "the judge of 600 digits labels {accuracy} of the 100 test digits");
    let err = pollster::block_on(s.train_judge(1)).unwrap_err().to_string();
    assert!(err.contains("none was started"), "{err}");

    train(&mut s, 1);
    let Meters::Digits(m) = pollster::block_on(s.meters()).unwrap() else { panic!("digit meters") };
    assert!(m.frechet.is_finite() && m.real_frechet.is_finite() && m.real_covered >= 9, "{m:?}");

    // Kept weights judge the same data in a new session; other data loses them.
    let bytes = s.judge_bytes(&plan.hash).unwrap();
    let (mut again, _) = session();
    again.configure(&change(Some("dcgan-mnist"), &[("batchSize", 32.0)])).unwrap();
    again.load_own(own_digits(700).finish("digits").unwrap()).unwrap();
    again.load_judge(latent_lab::session::JudgeOf::Own(plan.hash.clone()), bytes).unwrap();
    train(&mut again, 1);
    assert!(matches!(pollster::block_on(again.meters()), Ok(Meters::Digits(_))));
    load_builtin(&mut again, Builtin::Mnist);
    assert!(matches!(pollster::block_on(again.meters()), Err(latent_lab::LabError::NoJudge(_))));

    // Other data loaded while a judge trains ends it, said so.
    again.load_own(own_digits(300).finish("fewer").unwrap()).unwrap();
    again.start_judge().unwrap();
    pollster::block_on(again.train_judge(2)).unwrap();
    load_builtin(&mut again, Builtin::Fashion);
    let err = pollster::block_on(again.train_judge(2)).unwrap_err().to_string();
    assert!(err.contains("other data took the place of fewer"), "{err}");
}

/// Draw to encode: a real test digit, given as a drawing, lands on the scatter's own mean
/// code for it, beside its reconstruction and itself as the nearest test digit; a drawing
/// that is not 784 values in [0, 1] is refused, and so is any drawing for a GAN.
#[test]
fn a_drawing_is_encoded_where_the_scatter_puts_the_same_digit() {
    let (mut s, _) = session();
    s.configure(&change(Some("vae"), &[("batchSize", 64.0)])).unwrap();
    train(&mut s, 5);
    let (points, labels) = pollster::block_on(s.latents(true)).unwrap();
    let subset = &s.data().side28().unwrap().subset;
    for i in [0, 7, 1999] {
        let drawing = subset.unit_pixels(&[i]);
        let encoded = pollster::block_on(s.encode(&drawing)).unwrap();
        let (x, y) = (points[2 * i], points[2 * i + 1]);
        assert!((encoded.mean[0] - x).abs() < 1e-4 && (encoded.mean[1] - y).abs() < 1e-4, "{:?} vs ({x}, {y})", encoded.mean);
        let std = encoded.std.as_ref().expect("the VAE's posterior has a spread");
        assert!(std.len() == 2 && std.iter().all(|v| v.is_finite() && *v > 0.0), "{std:?}");
        assert_eq!(encoded.recon.len(), 28 * 28 * 4);
        // Itself is the nearest test digit (or an identical image elsewhere in the subset).
        assert_eq!(encoded.nearest.distance, 0.0);
        assert_eq!(encoded.nearest.label, Some(labels[i]));
        assert_eq!(encoded.nearest.rgba.len(), 28 * 28 * 4);
    }
    for bad in [vec![0.0; 783], vec![f32::NAN; 784], vec![2.0; 784]] {
        assert_eq!(pollster::block_on(s.encode(&bad)).unwrap_err().field(), Some("drawing"));
    }
    assert_eq!(s.step_count().unwrap(), 5, "a refused drawing costs nothing of the run");

    s.configure(&change(Some("ae"), &[])).unwrap();
    let encoded = pollster::block_on(s.encode(&[0.0; 784])).unwrap();
    assert!(encoded.std.is_none(), "the autoencoder's code is a point");

    s.configure(&change(Some("dcgan-mnist"), &[])).unwrap();
    let refused = pollster::block_on(s.encode(&[0.0; 784])).unwrap_err();
    assert_eq!(refused.field(), Some("model"));
    assert!(refused.to_string().contains("no encoder"), "{refused}");
}

/// The automatic choice of backend: a trial is the run's model on the rival backend, trained
/// apart from the run; settling it keeps the faster, says what was measured, and a move goes on
/// from where the run stands (the same next loss, within float rounding between backends).
/// Natively the rival here is burn-ndarray against burn-flex, both CPU backends.
#[test]
fn the_automatic_choice_keeps_the_faster_backend_and_moves_the_run_whole() {
    let rivalled = || Backend { rival: Some(BackendKind::Ndarray), ..backend::cpu(BackendKind::Flex, "test") };
    let ndarray = || backend::cpu(BackendKind::Ndarray, "test");
    let (mut s, _) = session_on(rivalled());
    s.configure(&change(Some("vae"), &[("batchSize", 32.0)])).unwrap();
    train(&mut s, 3);
    let mut trial = s.trial(ndarray()).unwrap();
    s.step_trial(&mut trial, 4).unwrap();
    pollster::block_on(trial.finish()).unwrap();
    assert_eq!(train(&mut s, 1).report.step, 4, "the trial's steps are not the run's");

    // Slower: the run stays, and the header says what was measured.
    let slower = pollster::block_on(s.settle(trial, 15.0, 1091.0)).unwrap();
    assert!(!slower.moved);
    assert_eq!(slower.step, 4);
    assert_eq!((s.backend().kind, s.backend().phrase.as_str()), (BackendKind::Flex, "CPU: measured faster"));
    assert_eq!(s.backend().reason, "CPU: 15 ms/step, CPU: 1091 ms/step on this model, using CPU");

    // Faster: the run moves, weights, optimiser state, step and data position with it.
    let mut trial = s.trial(ndarray()).unwrap();
    let expected = {
        let checkpoint = pollster::block_on(s.checkpoint()).unwrap().to_bytes();
        let (mut twin, _) = session_on(backend::cpu(BackendKind::Flex, "test"));
        twin.load_checkpoint(&checkpoint).unwrap();
        train(&mut twin, 1).report
    };
    s.step_trial(&mut trial, 2).unwrap();
    let faster = pollster::block_on(s.settle(trial, 15.0, 3.1)).unwrap();
    assert!(faster.moved);
    assert_eq!(faster.step, 4);
    assert_eq!((s.backend().kind, s.backend().rival), (BackendKind::Ndarray, Some(BackendKind::Flex)));
    assert_eq!(s.backend().reason, "CPU: 3.1 ms/step, CPU: 15 ms/step on this model, using CPU");
    let next = train(&mut s, 1).report;
    assert_eq!((next.first_step, next.step), (5, 5));
    for ((figure, moved), (_, twin)) in next.series.iter().zip(&expected.series) {
        let (a, b) = (moved[0], twin[0]);
        assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{figure:?}: {a} after the move, {b} had it stayed");
    }

    // A trial of another model's run, or times that are not times, are refused.
    let mut trial = s.trial(backend::cpu(BackendKind::Flex, "test")).unwrap();
    let another = s.trial(backend::cpu(BackendKind::Flex, "test")).unwrap();
    assert!(pollster::block_on(s.settle(another, f64::NAN, 1.0)).unwrap_err().to_string().contains("not NaN"));
    s.configure(&change(Some("ae"), &[])).unwrap();
    assert!(s.step_trial(&mut trial, 1).unwrap_err().to_string().contains("another model"));
    assert!(pollster::block_on(s.settle(trial, 2.0, 1.0)).is_err());
    assert_eq!(s.backend().kind, BackendKind::Ndarray, "a refused settlement moved the run");

    // A rival that did not start (the CPU stood in for it): nothing to time, and the header says so.
    let (mut s, _) = session_on(Backend { rival: Some(BackendKind::WebGpu), ..backend::cpu(BackendKind::Flex, "test") });
    let stood_in = backend::cpu(BackendKind::Flex, "WebGPU adapter x found but no device came up: lost");
    assert!(s.trial(stood_in).is_err());
    assert_eq!(s.backend().rival, None);
    assert_eq!(s.backend().phrase, "CPU: the GPU did not start");
    assert!(s.backend().reason.contains("no device came up"), "{}", s.backend().reason);
}
