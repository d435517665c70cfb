//! Native integration tests on the CPU backend and the real MNIST files (set up by
//! scripts/setup.sh into data/mnist/).
#![cfg(not(target_arch = "wasm32"))]

use burn::prelude::*;
use latent_lab::backend::{self, BackendKind, BackendRequest};
use latent_lab::data::{Mnist, mnist::FILES};
use latent_lab::model::{AutoencoderConfig, ModelKind, VaeConfig};
use latent_lab::train::{LatentTrainer, TrainConfig};
use latent_lab::{DataError, IdxError, LabError};

fn mnist() -> Mnist {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let read = |f: &str| {
        std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}; run scripts/setup.sh first"))
    };
    let files = FILES.map(read);
    Mnist::from_idx([&files[0], &files[1], &files[2], &files[3]]).expect("real MNIST parses")
}

fn device(kind: BackendKind) -> Device {
    backend::cpu(kind, "test").device
}

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
    let test_images = std::fs::read(dir.join(FILES[2])).unwrap();
    let train_labels = std::fs::read(dir.join(FILES[1])).unwrap();
    let err = latent_lab::data::MnistSplit::from_idx("t10k-images", &test_images, "train-labels", &train_labels).unwrap_err();
    assert_eq!(err, DataError::CountMismatch {
        images_file: "t10k-images".into(),
        images: 10_000,
        labels_file: "train-labels".into(),
        labels: 60_000,
    });
    let truncated = &test_images[..test_images.len() - 100];
    let test_labels = std::fs::read(dir.join(FILES[3])).unwrap();
    let err = latent_lab::data::MnistSplit::from_idx("t10k-images", truncated, "t10k-labels", &test_labels).unwrap_err();
    assert!(matches!(err, DataError::Idx { ref file, problem: IdxError::SizeMismatch { .. } } if file == "t10k-images"));
    assert!(err.to_string().starts_with("t10k-images: "), "{err}");
}

#[test]
fn autoencoder_shapes_and_classifier_probabilities() {
    let device = device(BackendKind::Flex);
    let m = mnist();
    let batch = m.test.batch(&[0, 1, 2, 3, 4], &device);
    let model = AutoencoderConfig::new().with_classifier(true).init(&device);
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
    assert!(AutoencoderConfig::new().init(&device).classify(batch.images.clone()).is_none());

    let vae = VaeConfig::new().with_classifier(true).init(&device).forward(batch.images);
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
        for model_kind in [ModelKind::Autoencoder, ModelKind::AutoencoderClassifier, ModelKind::Vae, ModelKind::VaeClassifier] {
            let config = TrainConfig { learning_rate: 1e-3, batch_size: 64, seed: 3, beta: 0.01 };
            let mut trainer = LatentTrainer::new(model_kind, device(kind).autodiff(), config, train.len()).unwrap();
            let before = pollster::block_on(trainer.evaluate(&test)).unwrap();
            for _ in 0..60 {
                trainer.step(&train);
            }
            let report = pollster::block_on(trainer.read_back()).unwrap();
            assert_eq!((report.first_step, report.losses.len(), report.mses.len(), report.step), (1, 60, 60, 60));
            assert!(report.losses.iter().all(|l| l.is_finite()));
            assert_eq!(report.accuracies.is_some(), model_kind.has_classifier());
            let is_vae = matches!(model_kind, ModelKind::Vae | ModelKind::VaeClassifier);
            assert_eq!(report.kls.as_ref().map(Vec::len), is_vae.then_some(60));
            let after = pollster::block_on(trainer.evaluate(&test)).unwrap();
            assert_eq!(after.kl.is_some(), is_vae);
            assert!(after.loss < 0.9 * before.loss, "{kind:?} {model_kind:?}: {before:?} -> {after:?}");
            assert!(after.mse < before.mse, "{kind:?} {model_kind:?}: {before:?} -> {after:?}");
            if let Some(acc) = after.accuracy {
                assert!(acc > before.accuracy.unwrap(), "{kind:?}: accuracy {before:?} -> {after:?}");
            }
            // Decoding and embedding give the right sizes.
            assert_eq!(pollster::block_on(trainer.decode(&[0.5, 1.0, -1.0, 0.0])).unwrap().len(), 2 * 784);
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
        let err = LatentTrainer::new(ModelKind::Vae, device.clone(), bad, m.train.len()).err().unwrap();
        assert_eq!(err.field(), Some(field), "{err}");
    }
    assert!(matches!(ModelKind::parse("gan"), Err(LabError::InvalidConfig { field: "model", .. })));
    assert!(matches!("tpu".parse::<BackendRequest>(), Err(LabError::InvalidConfig { field: "backend", .. })));
}
