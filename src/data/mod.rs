//! Data: file formats and batching. Pure Rust up to the point where a batch becomes tensors.

pub mod builtin;
pub mod cursor;
pub mod idx;
pub mod npy;
pub mod own;
pub mod poly;
pub mod split;

pub use cursor::{EpochCursor, SplitMix64, random_indices};
pub use split::{IMAGE_PIXELS, IMAGE_SIDE, LabelledBatch, Split, Splits};

use npy::Images;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

/// Which data a run trained on: a built-in dataset by its name, or your own by the name of
/// the file or folder it came from, and in both cases a hash of the images and labels as the
/// model reads them (so a re-compressed file is the same data, and other data never is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetId {
    pub name: String,
    /// Whether `name` is a built-in dataset's ([`builtin::Builtin`]) rather than your file's.
    pub builtin: bool,
    /// XXH3-128 of the pixels and labels, 32 hex digits.
    pub hash: String,
}

impl DatasetId {
    fn new(name: &str, builtin: bool, hasher: Xxh3) -> Self {
        DatasetId { name: name.into(), builtin, hash: format!("{:032x}", hasher.digest128()) }
    }

    /// The id of a train and a test split.
    pub fn of_splits(name: &str, builtin: bool, splits: &Splits) -> Self {
        let mut hasher = Xxh3::new();
        for part in [splits.train.pixels(), splits.train.labels(), splits.test.pixels(), splits.test.labels()] {
            hasher.update(&(part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        Self::new(name, builtin, hasher)
    }

    /// The id of a stack of images.
    pub fn of_images(name: &str, builtin: bool, images: &Images) -> Self {
        let mut hasher = Xxh3::new();
        for d in [images.count(), images.height(), images.width()] {
            hasher.update(&(d as u64).to_le_bytes());
        }
        let mut bytes = Vec::with_capacity(4 * 4096);
        for chunk in images.pixels().chunks(4096) {
            bytes.clear();
            bytes.extend(chunk.iter().flat_map(|v| v.to_le_bytes()));
            hasher.update(&bytes);
        }
        Self::new(name, builtin, hasher)
    }

    pub fn builtin(&self) -> Option<builtin::Builtin> {
        builtin::Builtin::parse(&self.name).filter(|_| self.builtin)
    }

    /// "MNIST", or your file's name.
    pub fn label(&self) -> String {
        self.builtin().map_or_else(|| self.name.clone(), |b| b.label().into())
    }

    /// How messages name it: "MNIST (1a2b3c4d)", or "your data 'shoes.zip' (…)", with the
    /// start of its hash.
    pub fn describe(&self) -> String {
        let short = &self.hash[..self.hash.len().min(8)];
        match self.builtin() {
            Some(b) => format!("{} ({short})", b.label()),
            None => format!("your data '{}' ({short})", self.name),
        }
    }
}

/// Training images of a GAN, in the generator's range.
pub trait ImageSet {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Height and width of every image.
    fn side(&self) -> [usize; 2];
    /// Appends the pixels of image `index` (< `len`), row by row.
    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>);
}

/// Polynomial images are used as they are (docs/models.md: no rescaling).
impl ImageSet for Images {
    fn len(&self) -> usize {
        self.count()
    }

    fn side(&self) -> [usize; 2] {
        [self.height(), self.width()]
    }

    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>) {
        let n = self.height() * self.width();
        out.extend_from_slice(&self.pixels()[index * n..(index + 1) * n]);
    }
}

/// 28x28 images as the DCGAN sees them: (pixel - 127.5) / 127.5, in [-1, 1] like its tanh output.
impl ImageSet for Split {
    fn len(&self) -> usize {
        Split::len(self)
    }

    fn side(&self) -> [usize; 2] {
        [IMAGE_SIDE; 2]
    }

    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>) {
        out.extend(self.image(index).iter().map(|&p| (p as f32 - 127.5) / 127.5));
    }
}

/// The training set a model trains on: 28x28 images with labels, or a stack of images.
#[derive(Clone, Copy)]
pub enum TrainSet<'a> {
    Split(&'a Split),
    Images(&'a Images),
}

impl<'a> TrainSet<'a> {
    /// The images as a GAN reads them.
    pub fn images(self) -> &'a dyn ImageSet {
        match self {
            Self::Split(m) => m,
            Self::Images(i) => i,
        }
    }

    pub fn len(self) -> usize {
        self.images().len()
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn side(self) -> [usize; 2] {
        self.images().side()
    }
}
