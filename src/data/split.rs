//! A 28x28 dataset in memory (MNIST, Fashion-MNIST or your own images, resized): u8 pixels
//! and labels, turned into tensors one batch at a time.

use burn::prelude::*;

use super::idx;
use crate::error::DataError;

pub const IMAGE_SIDE: usize = 28;
pub const IMAGE_PIXELS: usize = IMAGE_SIDE * IMAGE_SIDE;

/// One split (train or test): `len` images of 28x28 u8 and their labels (all 0 when the
/// dataset has none).
#[derive(Debug, Clone)]
pub struct Split {
    images: Vec<u8>,
    labels: Vec<u8>,
}

/// A batch on a device: pixels / 255 flattened to 784 (the AE/VAE input), and labels.
#[derive(Debug, Clone)]
pub struct LabelledBatch {
    pub images: Tensor<2>,      // [batch, 784]
    pub labels: Tensor<1, Int>, // [batch]
}

impl Split {
    /// Parses an images file and a labels file; `*_name` say which file is at fault in errors.
    pub fn from_idx(images_name: &str, images: &[u8], labels_name: &str, labels: &[u8]) -> Result<Self, DataError> {
        let img = idx::parse_images(images).map_err(|problem| DataError::Idx { file: images_name.into(), problem })?;
        if (img.rows, img.cols) != (IMAGE_SIDE, IMAGE_SIDE) {
            let problem = crate::error::IdxError::WrongImageSize { rows: img.rows as u32, cols: img.cols as u32 };
            return Err(DataError::Idx { file: images_name.into(), problem });
        }
        let labels = idx::parse_labels(labels).map_err(|problem| DataError::Idx { file: labels_name.into(), problem })?;
        if labels.len() != img.count {
            return Err(DataError::CountMismatch {
                images_file: images_name.into(),
                images: img.count,
                labels_file: labels_name.into(),
                labels: labels.len(),
            });
        }
        Ok(Self { images: img.pixels, labels })
    }

    /// A split from raw parts: 784 pixels per label.
    pub fn from_parts(images: Vec<u8>, labels: Vec<u8>) -> Self {
        debug_assert_eq!(images.len(), labels.len() * IMAGE_PIXELS);
        Self { images, labels }
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn image(&self, i: usize) -> &[u8] {
        &self.images[i * IMAGE_PIXELS..(i + 1) * IMAGE_PIXELS]
    }

    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// Every image's pixels, back to back.
    pub fn pixels(&self) -> &[u8] {
        &self.images
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn head(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self { images: self.images[..n * IMAGE_PIXELS].to_vec(), labels: self.labels[..n].to_vec() }
    }

    /// The images at `indices` as pixels / 255, 784 values each, concatenated.
    pub fn unit_pixels(&self, indices: &[usize]) -> Vec<f32> {
        indices.iter().flat_map(|&i| self.image(i).iter().map(|&p| f32::from(p) / 255.0)).collect()
    }

    /// The examples at `indices`, as tensors on `device`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> LabelledBatch {
        let pixels = self.unit_pixels(indices);
        let labels: Vec<i64> = indices.iter().map(|&i| self.labels[i] as i64).collect();
        LabelledBatch {
            images: Tensor::from_data(TensorData::new(pixels, [indices.len(), IMAGE_PIXELS]), device),
            labels: Tensor::from_data(TensorData::new(labels, [indices.len()]), device),
        }
    }
}

/// A training split and a test split (60,000 and 10,000 for MNIST and Fashion-MNIST).
#[derive(Debug, Clone)]
pub struct Splits {
    pub train: Split,
    pub test: Split,
}

/// The four canonical file names of MNIST and Fashion-MNIST (each also read gzipped).
pub const IDX_FILES: [&str; 4] = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

impl Splits {
    /// Parses the four files, in the order of [`IDX_FILES`].
    pub fn from_idx(files: [&[u8]; 4]) -> Result<Self, DataError> {
        Ok(Self {
            train: Split::from_idx(IDX_FILES[0], files[0], IDX_FILES[1], files[1])?,
            test: Split::from_idx(IDX_FILES[2], files[2], IDX_FILES[3], files[3])?,
        })
    }
}
