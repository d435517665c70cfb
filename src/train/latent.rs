//! Training the autoencoders: one Adam step on a batch of digits and their labels per step.

use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;

use super::{EvalReport, Figure, Run, StepReport, Train, TrainerState, check_batch, check_rate, copy_to, flops, keras_adam, read_f32};
use crate::data::{IMAGE_PIXELS, Split, TrainSet};
use crate::error::{LabError, shown};
use crate::model::{LatentModel, Losses};
use crate::record::{load_optimizer, load_record, optimizer_bytes, record_bytes};

/// Optimisation settings a user can change.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub learning_rate: f64,
    pub batch_size: usize,
    /// Seeds the weight initialisation and the shuffling.
    pub seed: u64,
    /// Weight of the VAE's KL term (the reference's 0.01); other models ignore it.
    pub beta: f64,
}

impl TrainConfig {
    /// Refuses values that cannot train: a learning rate that is not a positive finite
    /// number, a negative beta, a batch size of zero or larger than the training set.
    pub fn validate(&self, train_len: usize) -> Result<(), LabError> {
        check_rate("learningRate", self.learning_rate)?;
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(LabError::invalid("beta", format!("beta must be a number of 0 or more, not {}", shown(self.beta))));
        }
        check_batch(self.batch_size, train_len)
    }
}

/// The figures of one batch, in the order the step report lists them.
fn figures(losses: Losses) -> Vec<(Figure, Tensor<1>)> {
    let mut figures = vec![(Figure::Loss, losses.total), (Figure::Mse, losses.mse)];
    figures.extend(losses.accuracy.map(|a| (Figure::Accuracy, a)));
    figures.extend(losses.kl.map(|k| (Figure::Kl, k)));
    figures
}

pub struct LatentTrainer<M: LatentModel> {
    model: M,
    optim: ModuleOptimizer,
    config: TrainConfig,
    run: Run,
}

impl<M: LatentModel> LatentTrainer<M> {
    /// `model` must live on `device`, an autodiff device.
    pub fn new(model: M, device: Device, config: TrainConfig, train_len: usize) -> Result<Self, LabError> {
        config.validate(train_len)?;
        let run = Run::new(device, config.seed, train_len);
        Ok(Self { model, optim: keras_adam(), config, run })
    }

    /// Changes learning rate, beta and batch size between steps; the optimiser keeps its moments.
    pub fn set_config(&mut self, config: TrainConfig, train_len: usize) -> Result<(), LabError> {
        config.validate(train_len)?;
        self.config = config;
        Ok(())
    }

    /// Where the gradient-free copy of the model (`Module::valid`) computes.
    fn inference_device(&self) -> Device {
        self.run.device.clone().without_autodiff()
    }

    /// The model's figures over `data`'s images in chunks, without gradients, weighted by
    /// each chunk's size, divided by the whole count.
    async fn mean_figures(&self, data: &Split) -> Result<Vec<(Figure, f32)>, LabError> {
        let model = self.model.valid();
        let device = self.inference_device();
        let mut sums: Option<(Vec<Figure>, Tensor<1>)> = None;
        for start in (0..data.len()).step_by(super::EVAL_CHUNK) {
            let indices: Vec<usize> = (start..(start + super::EVAL_CHUNK).min(data.len())).collect();
            let n = indices.len() as f64;
            let chunk = figures(model.losses(&data.batch(&indices, &device), self.config.beta));
            let names = chunk.iter().map(|(f, _)| *f).collect();
            // Weighted by the chunk's size so a short last chunk counts for what it holds.
            let values = Tensor::cat(chunk.into_iter().map(|(_, t)| t).collect(), 0).mul_scalar(n);
            sums = Some(match sums {
                Some((names, s)) => (names, s + values),
                None => (names, values),
            });
        }
        let (names, sums) = sums.ok_or(LabError::NoData)?;
        let values = read_f32(sums).await?;
        Ok(names.into_iter().zip(values).map(|(f, v)| (f, v / data.len() as f32)).collect())
    }
}

/// One image through an autoencoder's encoder and back: the posterior mean, the
/// log-variance where the code is sampled (the VAE), and the image decoded from the mean.
#[derive(Debug, Clone)]
pub struct Encoding {
    pub mean: Vec<f32>,
    pub log_var: Option<Vec<f32>>,
    /// 784 values in [0, 1]: decoded from the mean, not from a sample, so that the same
    /// drawing always shows the same reconstruction.
    pub recon: Vec<f32>,
}

impl<M: LatentModel> LatentTrainer<M> {
    /// Encodes one image of 784 values in [0, 1] (checked by the caller).
    pub async fn encode(&self, pixels: &[f32]) -> Result<Encoding, LabError> {
        let model = self.model.valid();
        let image = Tensor::from_data(TensorData::new(pixels.to_vec(), [1, IMAGE_PIXELS]), &self.inference_device());
        let (mean, log_var) = model.posterior(image);
        let recon = model.decode(mean.clone());
        Ok(Encoding {
            mean: read_f32(mean).await?,
            log_var: match log_var {
                Some(log_var) => Some(read_f32(log_var).await?),
                None => None,
            },
            recon: read_f32(recon).await?,
        })
    }
}

impl<M: LatentModel> Train for LatentTrainer<M> {
    fn step_count(&self) -> u64 {
        self.run.step
    }

    /// One forward and backward pass.
    fn flops_per_step(&self) -> f64 {
        flops(3.0 * self.model.macs() as f64, self.config.batch_size)
    }

    fn step(&mut self, data: TrainSet<'_>) -> Result<(), LabError> {
        let TrainSet::Split(data) = data else {
            return Err(LabError::invalid("data", "the autoencoders train on labelled 28x28 digits"));
        };
        self.run.seed_step();
        let batch = data.batch(&self.run.cursor.next_batch(self.config.batch_size), &self.run.device);
        let losses = self.model.losses(&batch, self.config.beta);
        let grads = GradientsParams::from_grads(losses.total.backward(), &self.model);
        self.model = self.optim.step(self.config.learning_rate, self.model.clone(), grads);
        self.run.finish_step(figures(losses));
        Ok(())
    }

    async fn read_back(&mut self) -> Result<StepReport, LabError> {
        self.run.read_back().await
    }

    fn state(&self) -> Result<TrainerState, LabError> {
        let weights = record_bytes(&self.model).map_err(LabError::Checkpoint)?;
        Ok(self.run.state(vec![weights], vec![optimizer_bytes(&self.optim)?]))
    }

    async fn snapshot(&self, cpu: &Device) -> Result<TrainerState, LabError> {
        let weights = record_bytes(&copy_to(&self.model, cpu).await?).map_err(LabError::Checkpoint)?;
        Ok(self.run.state(vec![weights], Vec::new()))
    }

    fn restore(&mut self, state: &TrainerState) -> Result<(), LabError> {
        let [record] = &state.weights[..] else {
            return Err(LabError::Checkpoint(format!("an autoencoder has one record of weights, not {}", state.weights.len())));
        };
        let model = load_record(self.model.clone(), record).map_err(LabError::Checkpoint)?;
        let optim = match self.run.loadable_optimizers(state) {
            [] => keras_adam(),
            [bytes] => load_optimizer(&self.optim, &model, bytes).map_err(LabError::Checkpoint)?,
            other => return Err(LabError::Checkpoint(format!("an autoencoder has one optimiser, not {}", other.len()))),
        };
        let cursor = self.run.cursor_for(state)?;
        (self.model, self.optim) = (model, optim);
        self.run.resume(cursor, state.step);
        Ok(())
    }

    /// 784 values in [0, 1] per point.
    async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let z = Tensor::from_data(TensorData::new(points.to_vec(), [points.len() / 2, 2]), &self.inference_device());
        read_f32(model.decode(z)).await
    }

    async fn generate(&self, _noise: &[f32]) -> Result<Vec<f32>, LabError> {
        Err(LabError::invalid("model", "the autoencoders decode latent points; they have no noise to generate from"))
    }

    fn noise_dim(&self) -> Option<usize> {
        None
    }

    async fn evaluate(&self, data: &Split) -> Result<EvalReport, LabError> {
        let figures = self.mean_figures(data).await?;
        let get = |figure| figures.iter().find(|(f, _)| *f == figure).map(|(_, v)| *v);
        Ok(EvalReport {
            loss: get(Figure::Loss).unwrap_or(f32::NAN),
            mse: get(Figure::Mse).unwrap_or(f32::NAN),
            kl: get(Figure::Kl),
            accuracy: get(Figure::Accuracy),
            count: data.len(),
        })
    }

    async fn embed(&self, data: &Split, mean: bool) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let device = self.inference_device();
        let chunks = (0..data.len())
            .step_by(super::EVAL_CHUNK)
            .map(|start| {
                let indices: Vec<usize> = (start..(start + super::EVAL_CHUNK).min(data.len())).collect();
                let images = data.batch(&indices, &device).images;
                if mean { model.embed_mean(images) } else { model.embed(images) }
            })
            .collect::<Vec<_>>();
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        read_f32(Tensor::cat(chunks, 0)).await
    }

    /// 784 values per image.
    async fn reconstruct(&self, data: &Split, indices: &[usize]) -> Result<Vec<f32>, LabError> {
        let model = self.model.valid();
        let images = data.batch(indices, &self.inference_device()).images;
        let out = read_f32(model.reconstruct(images)).await?;
        debug_assert_eq!(out.len(), indices.len() * IMAGE_PIXELS);
        Ok(out)
    }
}
