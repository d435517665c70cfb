//! The dense autoencoder of the reference (docs/models.md, "Autoencoder"), with its optional
//! latent classifier head.

use burn::prelude::*;
use burn::tensor::activation::{relu, softmax};

use super::{DenseDecoder, DenseShape, LatentModel, Losses, classification, dense};
use crate::data::LabelledBatch;

/// Weight of the latent classifier's cross-entropy next to the per-pixel MSE (the reference's 0.1).
pub(crate) const CLASSIFIER_WEIGHT: f64 = 0.1;

#[derive(Module, Debug)]
pub struct Autoencoder {
    enc1: burn::nn::Linear,
    enc2: burn::nn::Linear,
    enc_latent: burn::nn::Linear,
    decoder: DenseDecoder,
    classifier: Option<burn::nn::Linear>,
}

/// Everything one forward pass produces.
#[derive(Debug, Clone)]
pub struct AutoencoderOutput {
    pub latent: Tensor<2>, // [batch, latent]
    pub recon: Tensor<2>,  // [batch, 784]
    /// Classifier logits (before the softmax), if the model has a classifier.
    pub class_logits: Option<Tensor<2>>, // [batch, 10]
}

impl Autoencoder {
    pub fn new(shape: DenseShape, device: &Device) -> Self {
        let (enc1, enc2) = shape.encoder(device);
        let enc_latent = dense(shape.hidden2, shape.latent, device);
        Autoencoder { enc1, enc2, enc_latent, decoder: shape.decoder(device), classifier: shape.classifier(device) }
    }

    /// [batch, 784] -> [batch, latent]. The ReLU on the latent is the reference's choice.
    pub fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        let x = relu(self.enc1.forward(x));
        let x = relu(self.enc2.forward(x));
        relu(self.enc_latent.forward(x))
    }

    /// [batch, latent] -> [batch, 784] in [0, 1].
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        self.decoder.forward(z)
    }

    pub fn forward(&self, x: Tensor<2>) -> AutoencoderOutput {
        let latent = self.encode(x);
        let recon = self.decode(latent.clone());
        let class_logits = self.classifier.as_ref().map(|c| c.forward(latent.clone()));
        AutoencoderOutput { latent, recon, class_logits }
    }

    /// Class probabilities of the latent classifier ([batch, 10], rows sum to 1).
    pub fn classify(&self, x: Tensor<2>) -> Option<Tensor<2>> {
        self.forward(x).class_logits.map(|logits| softmax(logits, 1))
    }
}

impl LatentModel for Autoencoder {
    fn losses(&self, batch: &LabelledBatch, _beta: f64) -> Losses {
        let out = self.forward(batch.images.clone());
        let mse = (out.recon - batch.images.clone()).square().mean();
        match out.class_logits {
            None => Losses { total: mse.clone(), mse, kl: None, accuracy: None },
            Some(logits) => {
                let (ce, accuracy) = classification(logits, batch.labels.clone());
                Losses { total: mse.clone() + ce.mul_scalar(CLASSIFIER_WEIGHT), mse, kl: None, accuracy: Some(accuracy) }
            }
        }
    }

    fn embed(&self, images: Tensor<2>) -> Tensor<2> {
        self.encode(images)
    }

    fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        Autoencoder::decode(self, z)
    }

    fn reconstruct(&self, images: Tensor<2>) -> Tensor<2> {
        Autoencoder::decode(self, self.encode(images))
    }

    fn has_classifier(&self) -> bool {
        self.classifier.is_some()
    }
}
