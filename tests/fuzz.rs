//! Fuzzing the parsers of everything a user can hand the page: MNIST IDX files, .npy images
//! and checkpoints. Each case starts from a valid file and damages it (truncates it, overwrites
//! bytes, writes random numbers into its header, appends junk), or is random bytes; every
//! parser must answer with a value or an error, never panic. Bounded: 31,000 cases,
//! seconds in all, in every run of the test command.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::device;
use latent_lab::backend::BackendKind;
use latent_lab::checkpoint::Checkpoint;
use latent_lab::data::idx::{parse_images, parse_labels};
use latent_lab::data::npy::{self, Dtype, Images};
use latent_lab::data::{Split, TrainSet};
use latent_lab::settings::{Settings, SettingsInput};
use latent_lab::train::ModelTrainer;
use proptest::prelude::*;

/// One way of damaging a file.
#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    Overwrite(usize, Vec<u8>),
    /// A random big-endian and little-endian u32 at a header offset (sizes, counts, lengths).
    Number(usize, u32),
    Append(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::Truncate),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(at, b)| Damage::Overwrite(at, b)),
        (0usize..160, any::<u32>()).prop_map(|(at, n)| Damage::Number(at, n)),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Damage::Append),
    ]
}

fn apply(file: &[u8], damages: &[Damage]) -> Vec<u8> {
    let mut out = file.to_vec();
    for d in damages {
        match d {
            Damage::Truncate(n) => out.truncate(n % (out.len() + 1)),
            Damage::Overwrite(at, bytes) if !out.is_empty() => {
                let at = at % out.len();
                for (i, b) in bytes.iter().enumerate() {
                    if let Some(slot) = out.get_mut(at + i) {
                        *slot = *b;
                    }
                }
            }
            Damage::Number(at, n) if at + 4 <= out.len() => {
                let bytes = if at % 2 == 0 { n.to_be_bytes() } else { n.to_le_bytes() };
                out[*at..at + 4].copy_from_slice(&bytes);
            }
            Damage::Append(bytes) => out.extend_from_slice(bytes),
            _ => {}
        }
    }
    out
}

/// A file damaged 1-3 ways, or pure noise.
fn damaged(file: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(damage(), 1..4).prop_map(move |d| apply(&file, &d)),
        1 => prop::collection::vec(any::<u8>(), 0..256),
    ]
}

fn idx_images(count: u32) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for n in [count, 28, 28] {
        out.extend_from_slice(&n.to_be_bytes());
    }
    out.extend((0..count as usize * 784).map(|i| (i % 251) as u8));
    out
}

fn idx_labels(count: u32) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 1];
    out.extend_from_slice(&count.to_be_bytes());
    out.extend((0..count as u8).map(|i| i % 10));
    out
}

fn npy_file(dtype: Dtype) -> Vec<u8> {
    npy::write(&Images::new(2, 40, 40, (0..3200).map(|i| (i as f32 * 0.01).sin()).collect()).unwrap(), dtype)
}

/// A real checkpoint of a small autoencoder, and the trainer to load damaged copies into.
fn checkpoint_case() -> (Vec<u8>, Settings, Split) {
    let data = Split::from_parts(idx_images(64)[16..].to_vec(), (0..64).map(|i| i % 10).collect());
    let change = SettingsInput::default().with("batchSize", 16.0);
    let (settings, _) = Settings::default().apply(&change, |_| Some(64)).unwrap();
    let mut trainer = ModelTrainer::new(&settings.recipe, device(BackendKind::Flex).autodiff(), TrainSet::Split(&data)).unwrap();
    trainer.step(TrainSet::Split(&data)).unwrap();
    (Checkpoint::new(settings.input(), None, trainer.state().unwrap()).to_bytes(), settings, data)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn idx_images_never_panic(bytes in damaged(idx_images(3))) {
        let _ = parse_images(&bytes);
    }

    #[test]
    fn idx_labels_never_panic(bytes in damaged(idx_labels(20))) {
        let _ = parse_labels(&bytes);
    }

    #[test]
    fn npy_never_panics(bytes in prop_oneof![damaged(npy_file(Dtype::F32)), damaged(npy_file(Dtype::F64))]) {
        let _ = npy::read(&bytes);
    }
}

proptest! {
    // Each case that parses also builds a model to load it into: fewer cases.
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn checkpoints_never_panic(bytes in damaged(checkpoint_case().0)) {
        let Ok(checkpoint) = Checkpoint::from_bytes(&bytes) else { return Ok(()) };
        let (_, settings, data) = checkpoint_case();
        let Ok((restored, _)) = Settings::default().apply(&checkpoint.header.settings, |_| Some(data.len())) else { return Ok(()) };
        if restored.model() != settings.model() {
            return Ok(());
        }
        let mut trainer = ModelTrainer::new(&restored.recipe, device(BackendKind::Flex).autodiff(), TrainSet::Split(&data)).unwrap();
        if trainer.restore(&checkpoint.state()).is_ok() {
            // A checkpoint that loads trains on.
            trainer.step(TrainSet::Split(&data)).unwrap();
        }
    }
}
