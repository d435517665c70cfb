//! Training the frozen MNIST judge (once, at set-up, natively) and asking it about images.

use burn::optim::GradientsParams;
use burn::prelude::*;

use super::{EVAL_CHUNK, keras_adam, read_f32};
use crate::data::{EpochCursor, IMAGE_PIXELS, Split, random_indices};
use crate::error::LabError;
use crate::metrics::{self, DigitReport, Gaussian, PAIRWISE_IMAGES};
use crate::model::judge::{JUDGE_FEATURES, Judge};

/// How the judge is trained: plain Adam on cross-entropy, a few epochs.
#[derive(Debug, Clone)]
pub struct JudgeConfig {
    pub epochs: u64,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        // Three epochs reach 98.2 % test accuracy (docs/results.md).
        JudgeConfig { epochs: 3, batch_size: 128, learning_rate: 1e-3, seed: 1 }
    }
}

/// Trains a judge on `train` on `device` (an autodiff device); `progress(epoch, step, loss)`
/// hears every 100th step. Losses are read back only then, so the CPU is not stalled.
pub fn train_judge(train: &Split, device: &Device, config: &JudgeConfig, mut progress: impl FnMut(u64, u64, f32)) -> Judge {
    device.seed(config.seed);
    let mut judge = Judge::new(device);
    let mut optim = keras_adam();
    let mut cursor = EpochCursor::new(train.len(), config.seed);
    let mut step = 0u64;
    while cursor.epoch() < config.epochs {
        let batch = train.batch(&cursor.next_batch(config.batch_size), device);
        let (loss, _) = judge.losses(&batch);
        step += 1;
        if step.is_multiple_of(100) {
            let value = loss.clone().into_data().iter::<f32>().next().unwrap_or(f32::NAN);
            progress(cursor.epoch(), step, value);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &judge);
        judge = optim.step(config.learning_rate, judge, grads);
    }
    judge
}

/// The judge's accuracy on all of `split`.
pub async fn accuracy(judge: &Judge, split: &Split, device: &Device) -> Result<f32, LabError> {
    let mut correct = Vec::new();
    for start in (0..split.len()).step_by(EVAL_CHUNK) {
        let indices: Vec<usize> = (start..(start + EVAL_CHUNK).min(split.len())).collect();
        let (_, accuracy) = judge.losses(&split.batch(&indices, device));
        correct.push(accuracy.mul_scalar(indices.len() as f64));
    }
    let sums = read_f32(Tensor::cat(correct, 0).sum()).await?;
    Ok(sums[0] / split.len() as f32)
}

/// The judge's view of `images` (784 values in [0, 1] each, concatenated): what it thinks
/// they are, and their penultimate features `[n * 64]` for a Frechet distance. One read-back.
pub async fn verdict(judge: &Judge, images: &[f32], device: &Device) -> Result<(DigitReport, Vec<f32>), LabError> {
    let n = images.len() / IMAGE_PIXELS;
    if n == 0 || !images.len().is_multiple_of(IMAGE_PIXELS) {
        return Err(LabError::invalid("images", format!("the judge needs whole 784-pixel images, not {} values", images.len())));
    }
    let chunks = images
        .chunks(EVAL_CHUNK * IMAGE_PIXELS)
        .map(|chunk| {
            let x = Tensor::from_data(TensorData::new(chunk.to_vec(), [chunk.len() / IMAGE_PIXELS, IMAGE_PIXELS]), device);
            let verdict = judge.judge(x);
            Tensor::cat(vec![verdict.probabilities, verdict.features], 1)
        })
        .collect::<Vec<_>>();
    let values = read_f32(Tensor::cat(chunks, 0)).await?;
    let width = 10 + JUDGE_FEATURES;
    let probabilities: Vec<f32> = values.chunks_exact(width).flat_map(|row| row[..10].iter().copied()).collect();
    let features: Vec<f32> = values.chunks_exact(width).flat_map(|row| row[10..].iter().copied()).collect();
    Ok((DigitReport::from_probabilities(&probabilities), features))
}

/// Real test digits the judge's Frechet distance measures against (the reference Gaussian).
pub const JUDGE_REFERENCE: usize = 1000;

/// What the MNIST DCGAN's meters stand beside: the real test digits' figures.
pub struct RealDigits {
    /// The features of [`JUDGE_REFERENCE`] real test digits.
    pub reference: Gaussian,
    /// The meters of [`PAIRWISE_IMAGES`] other real test digits: what a perfect generator
    /// scores (the Frechet distance of so few samples is not 0).
    pub report: DigitReport,
    pub frechet: f64,
}

/// The meters of `images` (784 values in [0, 1] each): the judge's report and the Frechet
/// distance of their features to the real digits' `reference`.
pub async fn digit_meters(judge: &Judge, images: &[f32], reference: &Gaussian, device: &Device) -> Result<(DigitReport, f64), LabError> {
    let (report, features) = verdict(judge, images, device).await?;
    let frechet = Gaussian::fit(&features, JUDGE_FEATURES)
        .map(|g| metrics::frechet_distance(&g, reference))
        .ok_or_else(|| LabError::Backend("the judge's features of the samples are not finite".into()))?;
    Ok((report, frechet))
}

/// The real test digits' figures: the reference Gaussian of [`JUDGE_REFERENCE`] of them, and
/// the meters of [`PAIRWISE_IMAGES`] others against it. Fixed digits, so that every run is
/// measured against the same yardstick.
pub async fn real_digits(judge: &Judge, test: &Split, device: &Device) -> Result<RealDigits, LabError> {
    let indices = random_indices(test.len(), JUDGE_REFERENCE + PAIRWISE_IMAGES, 0x5eed);
    let (reference, others) = indices.split_at(JUDGE_REFERENCE.min(indices.len()));
    let (_, features) = verdict(judge, &test.unit_pixels(reference), device).await?;
    let reference = Gaussian::fit(&features, JUDGE_FEATURES)
        .ok_or_else(|| LabError::Backend("the judge's features of real digits are not finite".into()))?;
    let (report, frechet) = digit_meters(judge, &test.unit_pixels(others), &reference, device).await?;
    Ok(RealDigits { reference, report, frechet })
}
