//! Native integration tests on the CPU backend and the real MNIST files (set up by
//! scripts/setup.sh into data/mnist/).
#![cfg(not(target_arch = "wasm32"))]

use burn::prelude::*;
use latent_lab::backend::{BackendKind, BackendRequest};
use latent_lab::catalog::Preset;
use latent_lab::data::TrainSet;
use latent_lab::data::split::IDX_FILES;
use latent_lab::model::{Autoencoder, DenseShape, GanKind, LatentKind, ModelKind, Vae};
use latent_lab::train::gan::fixed_noise;
use latent_lab::train::{Figure, GanConfig, GanRule, ModelTrainer, Recipe, TrainConfig};
use latent_lab::{DataError, IdxError, LabError};

mod common;
use common::{device, mnist};

#[test]
fn real_mnist_has_the_standard_split() {
    let m = mnist();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    // The first training digit of MNIST is a 5, the first test digit a 7.
    assert_eq!((m.train.label(0), m.test.label(0)), (5, 7));
    let counts = (0..10).map(|d| (0..m.test.len()).filter(|&i| m.test.label(i) == d).count()).collect::<Vec<_>>();
    assert_eq!(counts, vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
}

#[test]
fn mismatched_counts_and_bad_files_name_the_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let test_images = std::fs::read(dir.join(IDX_FILES[2])).unwrap();
    let train_labels = std::fs::read(dir.join(IDX_FILES[1])).unwrap();
    let err = latent_lab::data::Split::from_idx("t10k-images", &test_images, "train-labels", &train_labels).unwrap_err();
    assert_eq!(
        err,
        DataError::CountMismatch { images_file: "t10k-images".into(), images: 10_000, labels_file: "train-labels".into(), labels: 60_000 }
    );
    let truncated = &test_images[..test_images.len() - 100];
    let test_labels = std::fs::read(dir.join(IDX_FILES[3])).unwrap();
    let err = latent_lab::data::Split::from_idx("t10k-images", truncated, "t10k-labels", &test_labels).unwrap_err();
    assert!(matches!(err, DataError::Idx { ref file, problem: IdxError::SizeMismatch { .. } } if file == "t10k-images"));
    assert!(err.to_string().starts_with("t10k-images: "), "{err}");
}

#[test]
fn autoencoder_shapes_and_classifier_probabilities() {
    let device = device(BackendKind::Flex);
    let m = mnist();
    let batch = m.test.batch(&[0, 1, 2, 3, 4], &device);
    let model = Autoencoder::new(DenseShape::autoencoder(true), &device);
    let out = model.forward(batch.images.clone());
    assert_eq!(out.latent.dims(), [5, 2]);
    assert_eq!(out.recon.dims(), [5, 784]);
    let probs = model.classify(batch.images.clone()).expect("has a classifier");
    assert_eq!(probs.dims(), [5, 10]);
    let p: Vec<f32> = probs.clone().into_data().iter::<f32>().collect();
    assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)), "{p:?}");
    let sums: Vec<f32> = probs.sum_dim(1).into_data().iter::<f32>().collect();
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5), "{sums:?}");
    let recon: Vec<f32> = out.recon.into_data().iter::<f32>().collect();
    assert!(recon.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert!(Autoencoder::new(DenseShape::autoencoder(false), &device).classify(batch.images.clone()).is_none());

    let vae = Vae::new(DenseShape::vae(true), &device).forward(batch.images);
    assert_eq!((vae.mean.dims(), vae.log_var.dims(), vae.z.dims()), ([5, 2], [5, 2], [5, 2]));
    assert_eq!(vae.recon.dims(), [5, 784]);
    assert_eq!(vae.class_logits.map(|l| l.dims()), Some([5, 10]));
}

/// A few steps on a small real subset make the test loss fall, on both CPU backends and for
/// every model.
#[test]
fn training_lowers_the_loss() {
    let m = mnist();
    let train = m.train.head(4096);
    let test = m.test.head(1000);
    for kind in [BackendKind::Flex, BackendKind::Ndarray] {
        for model_kind in [LatentKind::Autoencoder, LatentKind::AutoencoderClassifier, LatentKind::Vae, LatentKind::VaeClassifier] {
            let config = TrainConfig { learning_rate: 1e-3, batch_size: 64, seed: 3, beta: 0.01 };
            let recipe = Recipe::Latent(model_kind, config);
            let mut trainer = ModelTrainer::new(&recipe, device(kind).autodiff(), TrainSet::Split(&train)).unwrap();
            let before = pollster::block_on(trainer.evaluate(&test)).unwrap();
            for _ in 0..60 {
                trainer.step(TrainSet::Split(&train)).unwrap();
            }
            let report = pollster::block_on(trainer.read_back()).unwrap();
            let count = |f| report.get(f).map(<[f32]>::len);
            assert_eq!((report.first_step, count(Figure::Loss), count(Figure::Mse), report.step), (1, Some(60), Some(60), 60));
            assert!(report.get(Figure::Loss).unwrap().iter().all(|l| l.is_finite()));
            assert_eq!(count(Figure::Accuracy).is_some(), model_kind.has_classifier());
            let is_vae = matches!(model_kind, LatentKind::Vae | LatentKind::VaeClassifier);
            assert_eq!(count(Figure::Kl), is_vae.then_some(60));
            let after = pollster::block_on(trainer.evaluate(&test)).unwrap();
            assert_eq!(after.kl.is_some(), is_vae);
            assert!(after.loss < 0.9 * before.loss, "{kind:?} {model_kind:?}: {before:?} -> {after:?}");
            assert!(after.mse < before.mse, "{kind:?} {model_kind:?}: {before:?} -> {after:?}");
            if let Some(acc) = after.accuracy {
                assert!(acc > before.accuracy.unwrap(), "{kind:?}: accuracy {before:?} -> {after:?}");
            }
            // Decoding and embedding give the right sizes.
            assert_eq!(pollster::block_on(trainer.images_at(&[0.5, 1.0, -1.0, 0.0])).unwrap().len(), 2 * 784);
            assert_eq!(pollster::block_on(trainer.embed(&test, false)).unwrap().len(), 2 * test.len());
        }
    }
}

#[test]
fn bad_control_values_are_refused() {
    let m = mnist();
    let device = device(BackendKind::Flex).autodiff();
    let ok = TrainConfig { learning_rate: 1e-3, batch_size: 256, seed: 1, beta: 0.01 };
    for (bad, field) in [
        (TrainConfig { learning_rate: 0.0, ..ok.clone() }, "learningRate"),
        (TrainConfig { learning_rate: -1.0, ..ok.clone() }, "learningRate"),
        (TrainConfig { learning_rate: f64::NAN, ..ok.clone() }, "learningRate"),
        (TrainConfig { batch_size: 0, ..ok.clone() }, "batchSize"),
        (TrainConfig { batch_size: 60_001, ..ok.clone() }, "batchSize"),
        (TrainConfig { beta: -0.5, ..ok.clone() }, "beta"),
        (TrainConfig { beta: f64::INFINITY, ..ok.clone() }, "beta"),
    ] {
        let err = ModelTrainer::new(&Recipe::Latent(LatentKind::Vae, bad), device.clone(), TrainSet::Split(&m.train)).err().unwrap();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(matches!(ModelKind::parse("gan"), Err(LabError::InvalidConfig { field: "model", .. })));
    assert!(matches!("tpu".parse::<BackendRequest>(), Err(LabError::InvalidConfig { field: "backend", .. })));
}

/// The live preset of `kind` seeded `seed`, with `change` made to its settings.
fn live(kind: GanKind, seed: u64, change: impl FnOnce(&mut GanConfig)) -> Recipe {
    let mut recipe = ModelKind::Gan(kind).recipe(Preset::Live, seed);
    if let Recipe::Gan(_, _, config) = &mut recipe {
        change(config);
    }
    recipe
}

/// A few steps of each GAN on real data (live widths, small batches) give finite losses of
/// the right count, and generated images of the right size in the tanh range.
#[test]
fn every_gan_steps_with_finite_losses() {
    let m = mnist();
    let mnist_train = m.train.head(512);
    let poly = latent_lab::data::poly::generate(512, 7);
    let device = device(BackendKind::Flex).autodiff();
    for kind in [GanKind::DcganMnist, GanKind::DcganPoly, GanKind::WganPoly] {
        let recipe = live(kind, 5, |c| c.batch_size = 16);
        let data = if kind == GanKind::DcganMnist { TrainSet::Split(&mnist_train) } else { TrainSet::Images(&poly) };
        let mut trainer = ModelTrainer::new(&recipe, device.clone(), data).unwrap();
        for _ in 0..3 {
            trainer.step(data).unwrap();
        }
        let report = pollster::block_on(trainer.read_back()).unwrap();
        assert_eq!((report.first_step, report.step), (1, 3));
        let (critic, generator) = (report.get(Figure::CriticLoss).unwrap(), report.get(Figure::GeneratorLoss).unwrap());
        assert_eq!((critic.len(), generator.len()), (3, 3));
        assert!(critic.iter().chain(generator).all(|l| l.is_finite()), "{kind:?}: {report:?}");
        let dim = trainer.noise_dim().unwrap();
        let noise = fixed_noise(4, dim, 1);
        let images = pollster::block_on(trainer.generate(&noise)).unwrap();
        assert_eq!(images.len(), 4 * kind.side() * kind.side());
        assert!(images.iter().all(|v| (-1.0..=1.0).contains(v)));
        // More points than one forward pass takes come back whole and in order.
        let many = fixed_noise(70, dim, 2);
        let all = pollster::block_on(trainer.generate(&many)).unwrap();
        let pixels = kind.side() * kind.side();
        assert_eq!(all.len(), 70 * pixels);
        let last = pollster::block_on(trainer.generate(&many[69 * dim..])).unwrap();
        assert!(all[69 * pixels..].iter().zip(&last).all(|(a, b)| (a - b).abs() < 1e-5), "{kind:?}");
    }
    // A GAN refuses data of the wrong size rather than failing inside a step.
    let err = ModelTrainer::new(&live(GanKind::WganPoly, 1, |_| ()), device, TrainSet::Split(&mnist_train)).err().unwrap();
    assert_eq!(err.field(), Some("data"), "{err}");
}

/// With `ema` above 0 the samples come from the moving average of the generator's weights,
/// which goes through a saved state and back; turning it off (0) shows the generator itself,
/// and a state saved without an average restarts it from the generator. (That the average
/// leaves training alone is checked bit for bit in tests/resume.rs, which has burn's RNG to
/// itself.)
#[test]
fn gan_samples_come_from_the_generator_average() {
    let poly = latent_lab::data::poly::generate(256, 4);
    let device = device(BackendKind::Flex).autodiff();
    let averaged = live(GanKind::WganPoly, 3, |c| {
        (c.batch_size, c.ema, c.rule) = (8, 0.9, GanRule::Wasserstein { n_critic: 1, clip: 0.1 });
    });
    let with_ema = |ema| match averaged.clone() {
        Recipe::Gan(kind, layers, config) => Recipe::Gan(kind, layers, GanConfig { ema, ..config }),
        other => other,
    };
    let data = TrainSet::Images(&poly);
    let mut t = ModelTrainer::new(&averaged, device.clone(), data).unwrap();
    for _ in 0..4 {
        t.step(data).unwrap();
    }
    let noise = fixed_noise(8, 2, 1);
    let images = |t: &ModelTrainer| pollster::block_on(t.generate(&noise)).unwrap();
    let (from_average, with_average) = (images(&t), t.state().unwrap());
    t.set_config(&with_ema(0.0), poly.count()).unwrap();
    let (from_generator, without_average) = (images(&t), t.state().unwrap());
    let gap = from_generator.iter().zip(&from_average).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(gap > 1e-3, "the average made the generator's images (largest difference {gap})");
    assert_eq!((with_average.weights.len(), without_average.weights.len()), (3, 2));
    let mut restored = ModelTrainer::new(&averaged, device.clone(), data).unwrap();
    restored.restore(&with_average).unwrap();
    assert_eq!(images(&restored), from_average);
    restored.restore(&without_average).unwrap();
    assert_eq!(images(&restored), from_generator);
    let err = ModelTrainer::new(&with_ema(1.0), device, data).err().unwrap();
    assert_eq!(err.field(), Some("ema"), "{err}");
}

/// After a WGAN step every critic parameter (BN scales and shifts included) is within the
/// clip value.
#[test]
fn wgan_critic_parameters_stay_clipped() {
    let poly = latent_lab::data::poly::generate(256, 3);
    let device = device(BackendKind::Flex).autodiff();
    let recipe = live(GanKind::WganPoly, 2, |c| (c.batch_size, c.rule) = (16, GanRule::Wasserstein { n_critic: 2, clip: 0.01 }));
    let mut trainer = ModelTrainer::new(&recipe, device, TrainSet::Images(&poly)).unwrap();
    trainer.step(TrainSet::Images(&poly)).unwrap();
    let ModelTrainer::PolyGan(t) = &trainer else { panic!("the WGAN trains polynomial images") };
    let mut params = ParamValues::default();
    t.critic().visit(&mut params);
    // Glorot initialisation puts weights well outside 0.01, so this checks the clipping.
    assert!(params.0.len() > 10);
    assert!(params.0.iter().all(|&(lo, hi)| lo >= -0.01 - 1e-7 && hi <= 0.01 + 1e-7), "{:?}", params.0);
}

/// Min and max of every trained float parameter of a module (not BN's running statistics,
/// which the visitor also sees but which are not trained).
#[derive(Default)]
struct ParamValues(Vec<(f32, f32)>);

impl burn::module::ModuleVisitor for ParamValues {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
        if !param.is_require_grad() {
            return;
        }
        let v: Vec<f32> = param.val().into_data().try_to_vec::<f32>().unwrap();
        let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        self.0.push((lo, hi));
    }
}

/// The shipped MNIST judge (`latent-lab judge` trains the same weights).
fn judge_bytes() -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/mnist-judge.bpk");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_judge_knows_real_digits_and_refuses_foreign_weights() {
    use latent_lab::metrics::{Gaussian, frechet_distance};
    use latent_lab::model::judge::{JUDGE_FEATURES, Judge};
    use latent_lab::train::judge::{accuracy, verdict};
    let device = device(BackendKind::Flex);
    let m = mnist();
    let judge = Judge::from_bytes(judge_bytes(), &device).unwrap();
    let first: Vec<usize> = (0..1000).collect();
    let accuracy = pollster::block_on(accuracy(&judge, &m.test.head(1000), &device)).unwrap();
    assert!(accuracy > 0.97, "{accuracy}");
    let (report, features) = pollster::block_on(verdict(&judge, &m.test.unit_pixels(&first), &device)).unwrap();
    assert!(report.confidence > 0.95 && report.covered == 10, "{report:?}");
    assert_eq!(report.histogram.iter().sum::<u32>(), 1000);
    // Other real digits are close in feature space; noise is far, and not a confident digit.
    let reference = Gaussian::fit(&features, JUDGE_FEATURES).unwrap();
    let others: Vec<usize> = (1000..1256).collect();
    let (_, real) = pollster::block_on(verdict(&judge, &m.test.unit_pixels(&others), &device)).unwrap();
    let mut rng = latent_lab::data::SplitMix64::new(3);
    let noise: Vec<f32> = (0..256 * 784).map(|_| rng.uniform() as f32).collect();
    let (noise_report, noise_features) = pollster::block_on(verdict(&judge, &noise, &device)).unwrap();
    let real_fd = frechet_distance(&Gaussian::fit(&real, JUDGE_FEATURES).unwrap(), &reference);
    let noise_fd = frechet_distance(&Gaussian::fit(&noise_features, JUDGE_FEATURES).unwrap(), &reference);
    assert!(real_fd * 20.0 < noise_fd, "real {real_fd}, noise {noise_fd}");
    assert!(noise_report.covered < 10, "{noise_report:?}");
    // Its own bytes give the same judge; anything else is an error, not a panic.
    let again = Judge::from_bytes(judge.to_bytes().unwrap(), &device).unwrap();
    let (same, _) = pollster::block_on(verdict(&again, &m.test.unit_pixels(&first), &device)).unwrap();
    assert_eq!(same, report);
    let bytes = judge_bytes();
    let foreign = Autoencoder::new(DenseShape::autoencoder(false), &device).into_record().into_bytes().unwrap().to_vec();
    for bad in [bytes[..bytes.len() / 2].to_vec(), bytes[100..].to_vec(), vec![0; 1000], Vec::new(), foreign] {
        assert!(matches!(Judge::from_bytes(bad, &device), Err(LabError::Judge(_))));
    }
    assert!(pollster::block_on(verdict(&judge, &[0.0; 100], &device)).is_err());
}

#[test]
fn the_judge_learns_digits_in_one_short_epoch() {
    use latent_lab::train::judge::{JudgeConfig, accuracy, train_judge};
    let device = device(BackendKind::Flex);
    let m = mnist();
    let config = JudgeConfig { epochs: 1, ..JudgeConfig::default() };
    let mut reports = 0;
    let judge = train_judge(&m.train.head(6400), &device.clone().autodiff(), &config, |_, _, loss| {
        assert!(loss.is_finite());
        reports += 1;
    });
    assert_eq!(reports, 0, "50 steps: no progress report yet");
    let accuracy = pollster::block_on(accuracy(&judge, &m.test.head(1000), &device)).unwrap();
    assert!(accuracy > 0.8, "{accuracy}");
}
