//! Data: file formats and batching. Pure Rust up to the point where a batch becomes tensors.

pub mod cursor;
pub mod idx;
pub mod mnist;
pub mod npy;
pub mod poly;

pub use cursor::{EpochCursor, SplitMix64, random_indices};
pub use mnist::{Mnist, MnistBatch, MnistSplit, IMAGE_PIXELS, IMAGE_SIDE};
