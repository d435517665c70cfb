//! The data a session holds: a dataset of each image size its models train on, each checked
//! and named by its content as it arrives, and the frozen judges of the MNIST DCGAN's meters.
//! Which model trains on which set is decided here, from the catalog, and nowhere else.

use burn::prelude::Device;
use serde::Serialize;

use crate::backend::{self, BackendKind};
use crate::catalog::{Builtin, DataSlot, EVAL_SUBSET};
use crate::data::npy::Images;
use crate::data::own::OwnReport;
use crate::data::poly;
use crate::data::{DatasetId, IMAGE_PIXELS, Split, Splits, TrainSet, random_indices};
use crate::error::LabError;
use crate::metrics::PolyReference;
use crate::model::ModelKind;
use crate::model::judge::{JUDGE_FEATURES, Judge};
use crate::train::judge::RealDigits;

/// A 28x28 dataset (MNIST, Fashion-MNIST or your own), with the fixed test subset the page
/// evaluates often and draws in the scatter.
pub struct Data28 {
    pub id: DatasetId,
    /// Class names in label order; empty for unlabelled data.
    pub classes: Vec<String>,
    pub splits: Splits,
    /// The fixed test subset for frequent evaluation and the scatter.
    pub subset: Split,
    /// Test indices of the reconstruction strip: the first example of each class (the first
    /// ten test images when there are no classes).
    pub strip: Vec<usize>,
    /// What became of your own files; none for a built-in dataset.
    pub own: Option<OwnReport>,
}

/// Images for the polynomial GANs and the figures of the real data the meters compare with.
pub struct Data40 {
    pub id: DatasetId,
    pub images: Images,
    pub reference: PolyReference,
    pub own: Option<OwnReport>,
}

/// A frozen classifier of one dataset, which the MNIST DCGAN's meters use on that data
/// (docs/models.md), and the real test images' figures its meters stand beside.
pub struct JudgeData {
    pub of: JudgeOf,
    pub judge: Judge,
    /// Worked out at the first meters call after the data is loaded (forgotten when it changes).
    pub real: Option<RealDigits>,
}

/// The data a judge was trained on: a built-in dataset (the set-up's file), or your own
/// labelled data, by its content hash (trained in the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JudgeOf {
    Builtin(Builtin),
    Own(String),
}

impl JudgeOf {
    /// Whether this judge measures a GAN trained on `data`.
    pub fn judges(&self, data: &DatasetId) -> bool {
        match self {
            JudgeOf::Builtin(b) => data.builtin() == Some(*b),
            JudgeOf::Own(hash) => !data.builtin && *hash == data.hash,
        }
    }
}

/// What a loaded dataset holds, as the page and the command line show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSummary {
    pub id: DatasetId,
    /// "MNIST", or your file's name.
    pub label: String,
    pub slot: DataSlot,
    pub classes: Vec<String>,
    pub train: usize,
    pub test: usize,
    /// The polynomial GANs' smoothness meter of the real images.
    pub smoothness: Option<f64>,
    pub own: Option<OwnReport>,
}

/// Every dataset a session has loaded (none at first): one for each image size.
#[derive(Default)]
pub struct Datasets {
    pub side28: Option<Data28>,
    pub side40: Option<Data40>,
    pub judges: Vec<JudgeData>,
}

/// The judge runs on the CPU whatever the GAN trains on: it looks at a few hundred small
/// images now and then, which costs less there than a GPU round trip; flex for its
/// convolutions.
pub fn judge_device() -> Device {
    backend::cpu(BackendKind::Flex, "the MNIST judge").device
}

/// `n` distinct examples of `split` chosen by a fixed seed.
fn random_subset(split: &Split, n: usize, seed: u64) -> Split {
    let order = random_indices(split.len(), n, seed);
    let mut images = Vec::with_capacity(order.len() * IMAGE_PIXELS);
    let mut labels = Vec::with_capacity(order.len());
    for &i in &order {
        images.extend_from_slice(split.image(i));
        labels.push(split.label(i));
    }
    Split::from_parts(images, labels)
}

impl Data28 {
    /// The four IDX files of a built-in dataset (train images, train labels, test images,
    /// test labels; gzip accepted), checked.
    pub fn parse(dataset: Builtin, files: [&[u8]; 4]) -> Result<Self, LabError> {
        let splits = Splits::from_idx(files)?;
        if splits.train.is_empty() || splits.test.is_empty() {
            return Err(LabError::NoData);
        }
        let classes = dataset.classes().iter().map(|c| c.to_string()).collect();
        Ok(Self::new(DatasetId::of_splits(dataset.name(), true, &splits), classes, splits, None))
    }

    /// Your own 28x28 images.
    pub fn own(name: &str, classes: Vec<String>, splits: Splits, report: OwnReport) -> Self {
        Self::new(DatasetId::of_splits(name, false, &splits), classes, splits, Some(report))
    }

    fn new(id: DatasetId, classes: Vec<String>, splits: Splits, own: Option<OwnReport>) -> Self {
        let subset = random_subset(&splits.test, EVAL_SUBSET, 0x5eed);
        let test = &splits.test;
        let strip = if classes.is_empty() {
            (0..test.len().min(10)).collect()
        } else {
            (0..classes.len() as u8).filter_map(|c| (0..test.len()).find(|&i| test.label(i) == c)).collect()
        };
        Data28 { id, classes, splits, subset, strip, own }
    }

    pub fn summary(&self) -> DataSummary {
        DataSummary {
            id: self.id.clone(),
            label: self.id.label(),
            slot: DataSlot::Side28,
            classes: self.classes.clone(),
            train: self.splits.train.len(),
            test: self.splits.test.len(),
            smoothness: None,
            own: self.own.clone(),
        }
    }
}

impl Data40 {
    /// The built-in training set ([`poly::BUILT_IN_COUNT`] images from [`poly::BUILT_IN_SEED`]).
    pub fn built_in() -> Self {
        Self::new(Builtin::Poly.name(), true, poly::generate(poly::BUILT_IN_COUNT, poly::BUILT_IN_SEED), None)
    }

    /// Your own 40x40 images.
    pub fn own(name: &str, images: Images, report: OwnReport) -> Self {
        Self::new(name, false, images, Some(report))
    }

    fn new(name: &str, builtin: bool, images: Images, own: Option<OwnReport>) -> Self {
        let reference = PolyReference::of(&images);
        Data40 { id: DatasetId::of_images(name, builtin, &images), images, reference, own }
    }

    pub fn summary(&self) -> DataSummary {
        DataSummary {
            id: self.id.clone(),
            label: self.id.label(),
            slot: DataSlot::Side40,
            classes: Vec::new(),
            train: self.images.count(),
            test: 0,
            smoothness: self.reference.smoothness,
            own: self.own.clone(),
        }
    }
}

impl JudgeData {
    /// The judge's weights for `of` (what `latent-lab judge` writes, or the page kept); a
    /// damaged or foreign file is refused.
    pub fn parse(of: JudgeOf, bytes: Vec<u8>) -> Result<Self, LabError> {
        Ok(JudgeData { of, judge: Judge::from_bytes(bytes, &judge_device())?, real: None })
    }

    pub fn features() -> usize {
        JUDGE_FEATURES
    }
}

impl Datasets {
    /// The training set of `model`, if loaded.
    pub fn train_set(&self, model: ModelKind) -> Option<TrainSet<'_>> {
        match model.slot() {
            DataSlot::Side28 => self.side28.as_ref().map(|d| TrainSet::Split(&d.splits.train)),
            DataSlot::Side40 => self.side40.as_ref().map(|p| TrainSet::Images(&p.images)),
        }
    }

    /// The size of `model`'s training set, if loaded: what its batch size is checked against.
    pub fn train_len(&self, model: ModelKind) -> Option<usize> {
        self.train_set(model).map(TrainSet::len)
    }

    /// Which data of `slot` is loaded.
    pub fn id(&self, slot: DataSlot) -> Option<&DatasetId> {
        match slot {
            DataSlot::Side28 => self.side28.as_ref().map(|d| &d.id),
            DataSlot::Side40 => self.side40.as_ref().map(|d| &d.id),
        }
    }

    /// What the loaded data of `slot` holds.
    pub fn summary(&self, slot: DataSlot) -> Option<DataSummary> {
        match slot {
            DataSlot::Side28 => self.side28.as_ref().map(Data28::summary),
            DataSlot::Side40 => self.side40.as_ref().map(Data40::summary),
        }
    }

    /// Refuses `model` on the loaded data when it cannot learn from it: a latent classifier
    /// needs labels.
    pub fn check_fits(&self, model: ModelKind) -> Result<(), LabError> {
        if let (ModelKind::Latent(kind), Some(data)) = (model, &self.side28)
            && kind.has_classifier()
            && data.classes.is_empty()
        {
            return Err(LabError::NeedsLabels { model: model.info().label.into(), dataset: data.id.describe() });
        }
        Ok(())
    }

    /// What is missing before `model` can train: its data.
    pub fn missing(model: ModelKind) -> LabError {
        match model.slot() {
            DataSlot::Side28 => LabError::NoData,
            DataSlot::Side40 => LabError::NoPolydata,
        }
    }

    /// Takes `judge` in place of any other of the same data.
    pub fn put_judge(&mut self, judge: JudgeData) {
        self.judges.retain(|j| j.of != judge.of);
        self.judges.push(judge);
    }

    /// The judge of the loaded 28x28 data, if there is one.
    pub fn judge_of(&self, data: &DatasetId) -> Option<&JudgeData> {
        self.judges.iter().find(|j| j.of.judges(data))
    }

    pub fn side28(&self) -> Result<&Data28, LabError> {
        self.side28.as_ref().ok_or(LabError::NoData)
    }

    pub fn side40(&self) -> Result<&Data40, LabError> {
        self.side40.as_ref().ok_or(LabError::NoPolydata)
    }
}
