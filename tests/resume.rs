//! Resuming a run from a checkpoint. A test binary of its own: burn's CPU RNG is one per
//! process, and the exactness checked here needs it to itself (tests running alongside in the
//! same process would draw from it between a step's reseeding and its draws).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{device, mnist};
use latent_lab::LabError;
use latent_lab::backend::BackendKind;
use latent_lab::checkpoint::Checkpoint;
use latent_lab::data::TrainSet;
use latent_lab::model::{GanKind, ModelKind};
use latent_lab::settings::{Settings, SettingsInput};
use latent_lab::train::ModelTrainer;
use latent_lab::train::gan::fixed_noise;

fn outputs(trainer: &ModelTrainer) -> Vec<f32> {
    match trainer.noise_dim() {
        None => pollster::block_on(trainer.images_at(&[0.5, -0.3, 1.0, 2.0])),
        Some(dim) => pollster::block_on(trainer.generate(&fixed_noise(2, dim, 3))),
    }
    .unwrap()
}

/// `n` steps of `trainer` and their losses (the critic's and generator's for a GAN), as read back.
fn losses_of(trainer: &mut ModelTrainer, n: usize, data: TrainSet) -> Vec<f32> {
    (0..n).for_each(|_| trainer.step(data).unwrap());
    let r = pollster::block_on(trainer.read_back()).unwrap();
    r.series.into_iter().filter(|(f, _)| f.is_loss()).flat_map(|(_, v)| v).collect()
}

/// The settings a checkpoint holds, checked as the session checks them.
fn settings_of(checkpoint: &Checkpoint, train_len: impl Fn(ModelKind) -> Option<usize>) -> Settings {
    Settings::default().apply(&checkpoint.header.settings, train_len).unwrap().0
}

fn checkpoint_of(trainer: &ModelTrainer, settings: &Settings) -> Checkpoint {
    Checkpoint::new(settings.input(), None, trainer.state().unwrap())
}

/// A checkpoint resumes the run exactly: a fresh model built from its settings and restored
/// from it takes the very steps (same losses, same weights after) that the saved run takes
/// next, optimiser state, data order and random draws (VAE samples, GAN noise, dropout)
/// included. A checkpoint whose settings name another model, or whose optimiser state belongs
/// to other parameters, is refused, never half-loaded.
#[test]
fn checkpoints_resume_the_run_exactly() {
    let m = mnist();
    let mnist_train = m.train.head(512);
    let poly = latent_lab::data::poly::generate(64, 7);
    let device = device(BackendKind::Flex).autodiff();
    for (name, batch) in [("ae-classifier", 200.0), ("vae", 32.0), ("dcgan-mnist", 8.0), ("wgan-poly", 24.0)] {
        let change = SettingsInput { model: Some(name.into()), seed: Some(4.0), ..SettingsInput::default() }.with("batchSize", batch);
        let train_len = |model: ModelKind| Some(if matches!(model, ModelKind::Gan(GanKind::WganPoly)) { 64 } else { 512 });
        let (settings, _) = Settings::default().apply(&change, train_len).unwrap();
        let data = if name == "wgan-poly" { TrainSet::Images(&poly) } else { TrainSet::Split(&mnist_train) };
        let mut trainer = ModelTrainer::new(&settings.recipe, device.clone(), data).unwrap();
        // Past an epoch's end (512 / 200, 64 / 24 with two critic batches a step), so that
        // the data position includes a reshuffle.
        losses_of(&mut trainer, 3, data);
        let bytes = checkpoint_of(&trainer, &settings).with_history(b"[1,2]".to_vec()).to_bytes();
        let next = losses_of(&mut trainer, 2, data);

        let checkpoint = Checkpoint::from_bytes(&bytes).unwrap();
        assert_eq!((checkpoint.header.step, &checkpoint.history[..]), (3, &b"[1,2]"[..]));
        let restored_settings = settings_of(&checkpoint, train_len);
        assert_eq!(restored_settings, settings);
        let mut restored = ModelTrainer::new(&restored_settings.recipe, device.clone(), data).unwrap();
        let fresh = outputs(&restored);
        restored.restore(&checkpoint.state()).unwrap();
        assert_eq!(restored.step_count(), 3, "{name}: steps count on from the checkpoint");
        assert_eq!(losses_of(&mut restored, 2, data), next, "{name}: the resumed run took other steps");
        let (want, got) = (outputs(&trainer), outputs(&restored));
        assert_eq!(want, got, "{name}: the resumed run's weights differ");
        assert!(want.iter().zip(&fresh).any(|(a, b)| (a - b).abs() > 1e-4), "{name}: training changed nothing");

        // The same weights under another model's name do not fit that model's layers.
        let other = if name.contains("gan") { "dcgan-poly" } else { "ae" };
        let mut forged = checkpoint.clone();
        forged.header.settings = SettingsInput { model: Some(other.into()), ..SettingsInput::default() };
        let forged_settings = settings_of(&forged, train_len);
        let other_data = if other == "dcgan-poly" { TrainSet::Images(&poly) } else { TrainSet::Split(&mnist_train) };
        let mut victim = ModelTrainer::new(&forged_settings.recipe, device.clone(), other_data).unwrap();
        let before = outputs(&victim);
        let err = victim.restore(&forged.state()).unwrap_err();
        assert!(matches!(err, LabError::Checkpoint(_)), "{name} as {other}: {err}");
        assert_eq!(outputs(&victim), before, "{name} as {other}: half-loaded");

        // Optimiser state of other parameters: the GAN's two swapped, or another run's.
        let mut swapped = checkpoint.clone();
        if name.contains("gan") {
            swapped.optimizers.reverse();
        } else {
            // Parameter ids are drawn per model, not from the seed: same settings, other ids.
            let mut stranger = ModelTrainer::new(&settings.recipe, device.clone(), data).unwrap();
            losses_of(&mut stranger, 1, data);
            swapped.optimizers = checkpoint_of(&stranger, &settings).optimizers;
        }
        let mut victim = ModelTrainer::new(&settings.recipe, device.clone(), data).unwrap();
        let err = victim.restore(&swapped.state()).unwrap_err().to_string();
        assert!(err.contains("optimiser state"), "{name}: {err}");
        assert_eq!(victim.step_count(), 0, "{name}: half-loaded");
    }

    // The generator's moving average only makes the samples: training takes the same steps
    // with it as without it.
    let losses_with = |ema: f64| {
        let change = SettingsInput { model: Some("wgan-poly".into()), seed: Some(4.0), ..SettingsInput::default() }.with("ema", ema);
        let (settings, _) = Settings::default().apply(&change, |_| Some(64)).unwrap();
        let mut trainer = ModelTrainer::new(&settings.recipe, device.clone(), TrainSet::Images(&poly)).unwrap();
        losses_of(&mut trainer, 3, TrainSet::Images(&poly))
    };
    assert_eq!(losses_with(0.0), losses_with(0.9));
}
