//! Data: file formats and batching. Pure Rust up to the point where a batch becomes tensors.

pub mod cursor;
pub mod idx;
pub mod mnist;
pub mod npy;
pub mod poly;

pub use cursor::{EpochCursor, SplitMix64, random_indices};
pub use mnist::{IMAGE_PIXELS, IMAGE_SIDE, Mnist, MnistBatch, MnistSplit};

use npy::Images;

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

/// MNIST as the DCGAN sees it: (pixel - 127.5) / 127.5, in [-1, 1] like the tanh output.
impl ImageSet for MnistSplit {
    fn len(&self) -> usize {
        MnistSplit::len(self)
    }

    fn side(&self) -> [usize; 2] {
        [IMAGE_SIDE; 2]
    }

    fn extend_pixels(&self, index: usize, out: &mut Vec<f32>) {
        out.extend(self.image(index).iter().map(|&p| (p as f32 - 127.5) / 127.5));
    }
}

/// The training set a model trains on: labelled digits, or a stack of images.
#[derive(Clone, Copy)]
pub enum TrainSet<'a> {
    Mnist(&'a MnistSplit),
    Images(&'a Images),
}

impl<'a> TrainSet<'a> {
    /// The images as a GAN reads them.
    pub fn images(self) -> &'a dyn ImageSet {
        match self {
            Self::Mnist(m) => m,
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
