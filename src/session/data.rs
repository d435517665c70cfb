//! The data a session holds: the datasets its models train on, each checked as it arrives,
//! and the frozen judge of the MNIST DCGAN. Which model trains on which set is decided here,
//! from the catalog, and nowhere else.

use burn::prelude::Device;
use serde::Serialize;

use crate::backend::{self, BackendKind};
use crate::catalog::{Dataset, EVAL_SUBSET};
use crate::data::npy::{self, Images};
use crate::data::poly::{self, POLY_SIDE};
use crate::data::{IMAGE_PIXELS, Mnist, MnistSplit, TrainSet, random_indices};
use crate::error::{ImagesError, LabError};
use crate::metrics::PolyReference;
use crate::model::ModelKind;
use crate::model::judge::{JUDGE_FEATURES, Judge};
use crate::train::judge::RealDigits;

/// MNIST, with the fixed test subset the page evaluates often and draws in the scatter.
pub struct MnistData {
    pub mnist: Mnist,
    /// The fixed test subset for frequent evaluation and the scatter.
    pub subset: MnistSplit,
    /// Test indices of the reconstruction strip: the first example of each digit.
    pub strip: Vec<usize>,
}

/// Images for the polynomial GANs and the figures of the real data the meters compare with.
pub struct PolyData {
    pub images: Images,
    pub reference: PolyReference,
}

/// The frozen MNIST judge of the MNIST DCGAN's meters (docs/models.md), and the real test
/// digits' figures its meters stand beside.
pub struct JudgeData {
    pub judge: Judge,
    /// Worked out at the first meters call after MNIST is loaded (forgotten when it changes).
    pub real: Option<RealDigits>,
}

/// What a loaded MNIST holds.
#[derive(Debug, Clone, Serialize)]
pub struct MnistSummary {
    pub train: usize,
    pub test: usize,
}

/// What a loaded stack of polynomial images holds, and the smoothness of the real images.
#[derive(Debug, Clone, Serialize)]
pub struct PolySummary {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    pub smoothness: Option<f64>,
}

/// Every dataset a session has loaded (none at first).
#[derive(Default)]
pub struct Datasets {
    pub mnist: Option<MnistData>,
    pub poly: Option<PolyData>,
    pub judge: Option<JudgeData>,
}

/// The judge runs on the CPU whatever the GAN trains on: it looks at a few hundred small
/// images now and then, which costs less there than a GPU round trip; flex for its
/// convolutions.
pub fn judge_device() -> Device {
    backend::cpu(BackendKind::Flex, "the MNIST judge").device
}

/// `n` distinct examples of `split` chosen by a fixed seed.
fn random_subset(split: &MnistSplit, n: usize, seed: u64) -> MnistSplit {
    let order = random_indices(split.len(), n, seed);
    let mut images = Vec::with_capacity(order.len() * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(order.len());
    for &i in &order {
        images.extend_from_slice(split.image(i));
        labels.push(split.label(i));
    }
    MnistSplit::from_parts(images, labels)
}

impl MnistData {
    /// The four MNIST IDX files (train images, train labels, test images, test labels; gzip
    /// accepted), checked.
    pub fn parse(files: [&[u8]; 4]) -> Result<Self, LabError> {
        let mnist = Mnist::from_idx(files)?;
        if mnist.train.is_empty() || mnist.test.is_empty() {
            return Err(LabError::NoData);
        }
        let subset = random_subset(&mnist.test, EVAL_SUBSET, 0x5eed);
        let strip = (0..10u8).filter_map(|d| (0..mnist.test.len()).find(|&i| mnist.test.label(i) == d)).collect();
        Ok(MnistData { mnist, subset, strip })
    }

    pub fn summary(&self) -> MnistSummary {
        MnistSummary { train: self.mnist.train.len(), test: self.mnist.test.len() }
    }
}

impl PolyData {
    /// A .npy stack of 40x40 images (`<f4` or `<f8`, shape (count, 40, 40)), checked; `name`
    /// is the file's name for messages.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, LabError> {
        let file = || name.to_string();
        let images = npy::read(bytes).map_err(|problem| ImagesError::Npy { file: file(), problem })?;
        if images.count() == 0 {
            return Err(ImagesError::Empty { file: file() }.into());
        }
        if [images.height(), images.width()] != [POLY_SIDE; 2] {
            let (height, width) = (images.height(), images.width());
            return Err(ImagesError::WrongSide { file: file(), height, width, side: POLY_SIDE }.into());
        }
        let reference = PolyReference::of(&images);
        Ok(PolyData { images, reference })
    }

    /// The built-in training set ([`poly::BUILT_IN_COUNT`] images from [`poly::BUILT_IN_SEED`]).
    pub fn built_in() -> Self {
        let images = poly::generate(poly::BUILT_IN_COUNT, poly::BUILT_IN_SEED);
        let reference = PolyReference::of(&images);
        PolyData { images, reference }
    }

    pub fn summary(&self) -> PolySummary {
        let i = &self.images;
        PolySummary { count: i.count(), height: i.height(), width: i.width(), smoothness: self.reference.smoothness }
    }
}

impl JudgeData {
    /// The judge's weights (what `latent-lab judge` writes); a damaged or foreign file is refused.
    pub fn parse(bytes: Vec<u8>) -> Result<Self, LabError> {
        Ok(JudgeData { judge: Judge::from_bytes(bytes, &judge_device())?, real: None })
    }

    pub fn features() -> usize {
        JUDGE_FEATURES
    }
}

impl Datasets {
    /// The training set of `model`, if loaded.
    pub fn train_set(&self, model: ModelKind) -> Option<TrainSet<'_>> {
        match model.dataset() {
            Dataset::Mnist => self.mnist.as_ref().map(|d| TrainSet::Mnist(&d.mnist.train)),
            Dataset::Poly => self.poly.as_ref().map(|p| TrainSet::Images(&p.images)),
        }
    }

    /// The size of `model`'s training set, if loaded: what its batch size is checked against.
    pub fn train_len(&self, model: ModelKind) -> Option<usize> {
        self.train_set(model).map(TrainSet::len)
    }

    /// What is missing before `model` can train: its data.
    pub fn missing(model: ModelKind) -> LabError {
        match model.dataset() {
            Dataset::Mnist => LabError::NoData,
            Dataset::Poly => LabError::NoPolydata,
        }
    }

    pub fn mnist(&self) -> Result<&MnistData, LabError> {
        self.mnist.as_ref().ok_or(LabError::NoData)
    }

    pub fn poly(&self) -> Result<&PolyData, LabError> {
        self.poly.as_ref().ok_or(LabError::NoPolydata)
    }
}
