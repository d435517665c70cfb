//! The frozen MNIST classifier that judges the MNIST DCGAN (docs/models.md, "How to judge the
//! MNIST DCGAN"): a small convolutional net, trained once by this crate's own code
//! (`latent-lab judge`, run at set-up) and stored with burn's record format (burnpack).
//! Its 64 penultimate features are what the Frechet distance compares.

use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::{relu, softmax};

use super::dense;
use super::gan::conv;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE, LabelledBatch};
use crate::error::LabError;
use crate::record::{load_record, record_bytes};

/// Width of the penultimate layer: the features of the Frechet distance.
pub const JUDGE_FEATURES: usize = 64;
const DIGITS: usize = 10;

/// conv 1->16 k5 s2 (28->14), ReLU; conv 16->32 k5 s2 (14->7), ReLU; Dense 1568->64, ReLU;
/// Dense 64->10. Convolutions because the samples it judges are distorted digits, which a
/// dense net labels far less reliably; small so that judging 256 samples costs little.
#[derive(Module, Debug)]
pub struct Judge {
    conv1: Conv2d,
    conv2: Conv2d,
    hidden: Linear,
    out: Linear,
}

/// What the judge says about a batch of images.
pub struct Verdict {
    /// Softmax probabilities, [n, 10].
    pub probabilities: Tensor<2>,
    /// Penultimate features, [n, 64].
    pub features: Tensor<2>,
}

impl Judge {
    pub fn new(device: &Device) -> Self {
        Judge {
            conv1: conv([1, 16], 5, 2, device),
            conv2: conv([16, 32], 5, 2, device),
            hidden: dense(32 * 7 * 7, JUDGE_FEATURES, device),
            out: dense(JUDGE_FEATURES, DIGITS, device),
        }
    }

    /// Penultimate features and logits of images [n, 784] with pixels in [0, 1].
    fn forward(&self, images: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let [n, _] = images.dims();
        let x = images.reshape([n, 1, IMAGE_SIDE, IMAGE_SIDE]);
        let x = relu(self.conv2.forward(relu(self.conv1.forward(x))));
        let features = relu(self.hidden.forward(x.flatten::<2>(1, 3)));
        let logits = self.out.forward(features.clone());
        (features, logits)
    }

    /// Cross-entropy and accuracy on a labelled batch (training and evaluation).
    pub fn losses(&self, batch: &LabelledBatch) -> (Tensor<1>, Tensor<1>) {
        super::classification(self.forward(batch.images.clone()).1, batch.labels.clone())
    }

    /// Probabilities and features of images [n, 784] with pixels in [0, 1].
    pub fn judge(&self, images: Tensor<2>) -> Verdict {
        debug_assert_eq!(images.dims()[1], IMAGE_PIXELS);
        let (features, logits) = self.forward(images);
        Verdict { probabilities: softmax(logits, 1), features }
    }

    /// The weights in burn's record format.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LabError> {
        record_bytes(self).map_err(LabError::Judge)
    }

    /// A judge from [`Judge::to_bytes`]'s output. Anything else (another model's record, a
    /// truncated file) is an error: the record must fill every parameter with the right shape.
    pub fn from_bytes(bytes: Vec<u8>, device: &Device) -> Result<Self, LabError> {
        load_record(Judge::new(device), &bytes).map_err(LabError::Judge)
    }
}
