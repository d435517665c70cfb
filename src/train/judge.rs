//! Training a frozen judge (at set-up for the built-in datasets, natively; in the page for
//! your own labelled data) and asking it about images.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;

use super::{EVAL_CHUNK, keras_adam, read_f32};
use crate::data::{EpochCursor, IMAGE_PIXELS, Split, Splits, random_indices};
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

/// The fewest steps a judge trains for: three epochs of a few hundred images would be a
/// dozen steps, far too few to learn anything.
pub const JUDGE_MIN_STEPS: u64 = 300;

impl JudgeConfig {
    /// The default, with as many more epochs as a small set of `train_len` images needs to
    /// give [`JUDGE_MIN_STEPS`] steps.
    pub fn for_size(train_len: usize) -> Self {
        let config = JudgeConfig::default();
        let per_epoch = train_len.div_ceil(config.batch_size).max(1) as u64;
        JudgeConfig { epochs: config.epochs.max(JUDGE_MIN_STEPS.div_ceil(per_epoch)), ..config }
    }

    /// Steps of the whole training on `train_len` images.
    pub fn steps(&self, train_len: usize) -> u64 {
        self.epochs * train_len.div_ceil(self.batch_size) as u64
    }
}

/// A judge in training, a step at a time, so that the page's worker can train one between
/// its other work and say how far it got.
pub struct JudgeTrainer {
    judge: Judge,
    optim: ModuleOptimizer,
    device: Device,
    cursor: EpochCursor,
    config: JudgeConfig,
    step: u64,
}

impl JudgeTrainer {
    /// A fresh judge for a training set of `train_len` images on `device` (an autodiff device).
    pub fn new(train_len: usize, device: &Device, config: JudgeConfig) -> Self {
        device.seed(config.seed);
        let cursor = EpochCursor::new(train_len, config.seed);
        JudgeTrainer { judge: Judge::new(device), optim: keras_adam(), device: device.clone(), cursor, config, step: 0 }
    }

    pub fn done(&self) -> bool {
        self.cursor.epoch() >= self.config.epochs
    }

    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// One step on a batch of `train`; returns its loss, still on the device.
    pub fn step(&mut self, train: &Split) -> Tensor<1> {
        let batch = train.batch(&self.cursor.next_batch(self.config.batch_size), &self.device);
        let (loss, _) = self.judge.losses(&batch);
        self.step += 1;
        let grads = GradientsParams::from_grads(loss.backward(), &self.judge);
        self.judge = self.optim.step(self.config.learning_rate, self.judge.clone(), grads);
        loss
    }

    /// The trained judge, without its autodiff graph.
    pub fn finish(self) -> Judge {
        self.judge.valid()
    }
}

/// Trains a judge on `train` on `device` (an autodiff device); `progress(epoch, step, loss)`
/// hears every 100th step. Losses are read back only then, so the CPU is not stalled.
pub fn train_judge(train: &Split, device: &Device, config: &JudgeConfig, mut progress: impl FnMut(u64, u64, f32)) -> Judge {
    let mut trainer = JudgeTrainer::new(train.len(), device, config.clone());
    while !trainer.done() {
        let loss = trainer.step(train);
        if trainer.step_count().is_multiple_of(100) {
            let value = loss.into_data().iter::<f32>().next().unwrap_or(f32::NAN);
            progress(trainer.cursor.epoch(), trainer.step_count(), value);
        }
    }
    trainer.finish()
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

/// The real images' figures: the reference Gaussian of [`JUDGE_REFERENCE`] test images, and
/// the meters of [`PAIRWISE_IMAGES`] others against it. Fixed images, so that every run is
/// measured against the same yardstick. A small set of your own, whose test split holds
/// fewer, lends its training images too, and splits what there is between the two.
pub async fn real_digits(judge: &Judge, splits: &Splits, device: &Device) -> Result<RealDigits, LabError> {
    let wanted = JUDGE_REFERENCE + PAIRWISE_IMAGES;
    let joined;
    let pool = if splits.test.len() >= wanted {
        &splits.test
    } else {
        let (test, train) = (&splits.test, &splits.train);
        joined = Split::from_parts([test.pixels(), train.pixels()].concat(), [test.labels(), train.labels()].concat());
        &joined
    };
    let indices = random_indices(pool.len(), wanted, 0x5eed);
    let others = PAIRWISE_IMAGES.min(indices.len() / 2);
    let (reference, others) = indices.split_at(indices.len() - others);
    let (_, features) = verdict(judge, &pool.unit_pixels(reference), device).await?;
    let reference = Gaussian::fit(&features, JUDGE_FEATURES)
        .ok_or_else(|| LabError::Backend("the judge's features of real images are not finite".into()))?;
    let (report, frechet) = digit_meters(judge, &pool.unit_pixels(others), &reference, device).await?;
    Ok(RealDigits { reference, report, frechet })
}
