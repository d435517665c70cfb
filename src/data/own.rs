//! Your own data, made into a dataset of the size of the model you train: image files (PNG or
//! JPEG, in one sub-folder per class for labels, or all in one folder unlabelled), zips of
//! them, IDX files (raw or gzipped, images with optional labels) and `.npy` stacks of shape
//! (N, H, W) or (N, H, W, 1) in float32, float64 or uint8.
//!
//! Decoding a PNG or a JPEG is the platform's: the browser's own decoder in the page's worker,
//! the `image` crate on the command line. Everything after that happens here, once for both:
//! grey from colour (alpha over black), resizing, scaling to the model's range, classes from
//! folder names, limits and the messages about what was skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use serde::Serialize;

use super::SplitMix64;
use super::builtin::DataSlot;
use super::idx::{self, IdxImages};
use super::npy::{self, Dtype, Images};
use super::poly::POLY_SIDE;
use super::split::{Split, Splits};
use crate::error::OwnError;

/// The most images your own dataset may hold: MNIST's 70,000. More would take minutes to
/// decode in a tab and more memory than one page should hold.
pub const MAX_IMAGES: usize = 70_000;
/// The most classes (sub-folders): the latent classifier and the scatter's colours have ten.
pub const MAX_CLASSES: usize = 10;
/// Your own data keeps one image in this many for its test split (MNIST: 10,000 of 70,000).
const TEST_EVERY: usize = 7;
/// The order of the test split: fixed, so the same files make the same dataset.
const SPLIT_SEED: u64 = 0x0d47a;

/// Where an image's label comes from.
#[derive(Debug, Clone)]
enum Label {
    /// Its path: the sub-folder it is in names its class.
    Path(String),
    /// An IDX labels file.
    Digit(u8),
}

/// Collects your own images one file at a time (so that the page can show progress), each
/// resized to the model's side as it arrives; [`Collector::finish`] makes the dataset.
pub struct Collector {
    slot: DataSlot,
    /// Grey values in the model's range: 0-255 for 28x28, the polynomial GANs' for 40x40.
    pixels: Vec<f32>,
    labels: Vec<Label>,
    /// Distinct sizes seen (the first few), for "resized from 64x64".
    sizes: BTreeSet<(usize, usize)>,
    /// IDX files wait for their partner (images and labels) until the end.
    idx_images: Vec<(String, IdxImages)>,
    idx_labels: Vec<(String, Vec<u8>)>,
    skipped: Vec<String>,
    ignored: usize,
}

/// A file the platform must decode (a PNG or a JPEG), then hand to [`Collector::add_rgba`].
pub struct ToDecode {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What your own data became.
#[derive(Debug, Clone)]
pub enum OwnImages {
    /// For the 28x28 models: u8 pixels with a train and a test split.
    Side28(Splits),
    /// For the polynomial GANs.
    Side40(Images),
}

/// Your own dataset, ready for the session.
#[derive(Debug, Clone)]
pub struct OwnSet {
    pub name: String,
    /// Class names in label order; empty when no labels were given.
    pub classes: Vec<String>,
    pub images: OwnImages,
    pub report: OwnReport,
}

/// What the page and the command line say about your data once it is in.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnReport {
    pub images: usize,
    pub side: usize,
    /// The sizes the images had, when any differed from the model's (at most a few).
    pub resized_from: Vec<[usize; 2]>,
    /// Files that could not be decoded, with why.
    pub skipped: Vec<String>,
    /// Files that are not images, IDX or .npy (a README, a .DS_Store).
    pub ignored: usize,
}

const PNG: &[u8] = b"\x89PNG";
const JPEG: &[u8] = &[0xff, 0xd8, 0xff];
const ZIP: &[u8] = b"PK\x03\x04";
const GZIP: &[u8] = &[0x1f, 0x8b];
const NPY: &[u8] = b"\x93NUMPY";
/// Sizes named in the report; more are summarised by these.
const SIZES_SHOWN: usize = 4;
/// Undecodable files named in a refusal (the report lists them all).
const SKIPPED_SHOWN: usize = 3;

impl Collector {
    pub fn new(slot: DataSlot) -> Self {
        Collector {
            slot,
            pixels: Vec::new(),
            labels: Vec::new(),
            sizes: BTreeSet::new(),
            idx_images: Vec::new(),
            idx_labels: Vec::new(),
            skipped: Vec::new(),
            ignored: 0,
        }
    }

    pub fn side(&self) -> usize {
        self.slot.side()
    }

    /// Images collected so far.
    pub fn count(&self) -> usize {
        self.labels.len()
    }

    /// Refuses a selection of `files` files that cannot fit the limit, before any is decoded.
    pub fn check_count(&self, name: &str, files: usize) -> Result<(), OwnError> {
        if self.count() + files > MAX_IMAGES { Err(OwnError::TooMany { name: name.into(), limit: MAX_IMAGES }) } else { Ok(()) }
    }

    /// Takes one file of any supported kind, told apart by its content. Returns the images
    /// inside it that the platform must decode (the file itself for a PNG or a JPEG, a zip's
    /// images), in order.
    pub fn add_file(&mut self, path: &str, bytes: Vec<u8>) -> Result<Vec<ToDecode>, OwnError> {
        let mut out = Vec::new();
        self.add_into(path, bytes, &mut out)?;
        Ok(out)
    }

    fn add_into(&mut self, path: &str, bytes: Vec<u8>, out: &mut Vec<ToDecode>) -> Result<(), OwnError> {
        if bytes.starts_with(PNG) || bytes.starts_with(JPEG) {
            out.push(ToDecode { path: path.into(), bytes });
        } else if bytes.starts_with(ZIP) {
            self.add_zip(path, &bytes, out)?;
        } else if bytes.starts_with(GZIP) {
            let inner = idx::gunzip(&bytes).map_err(|problem| OwnError::Idx { file: path.into(), problem })?;
            self.add_into(path.strip_suffix(".gz").unwrap_or(path), inner, out)?;
        } else if bytes.starts_with(NPY) {
            self.add_npy(path, &bytes)?;
        } else if bytes.starts_with(&idx::IMAGES_MAGIC.to_be_bytes()) {
            let images = idx::parse_images(&bytes).map_err(|problem| OwnError::Idx { file: path.into(), problem })?;
            self.check_count(path, images.count)?;
            self.idx_images.push((path.into(), images));
        } else if bytes.starts_with(&idx::LABELS_MAGIC.to_be_bytes()) {
            let labels = idx::parse_labels(&bytes).map_err(|problem| OwnError::Idx { file: path.into(), problem })?;
            self.idx_labels.push((path.into(), labels));
        } else {
            // Not recognised by content: a name that promises a kind gets that kind's error.
            match path.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase()).as_deref() {
                Some("npy") => self.add_npy(path, &bytes)?,
                Some("zip") => self.add_zip(path, &bytes, out)?,
                Some("png" | "jpg" | "jpeg") => out.push(ToDecode { path: path.into(), bytes }),
                _ => self.ignored += 1,
            }
        }
        Ok(())
    }

    fn add_zip(&mut self, path: &str, bytes: &[u8], out: &mut Vec<ToDecode>) -> Result<(), OwnError> {
        let bad = |e: zip::result::ZipError| OwnError::Zip { file: path.into(), problem: e.to_string() };
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(bad)?;
            if entry.is_dir() {
                continue;
            }
            let name = format!("{path}/{}", entry.name().map_err(bad)?);
            // A zip's entry may claim any size; read what it holds, up to the largest file we take.
            let mut inner = Vec::new();
            (&mut entry)
                .take(idx::MAX_DECOMPRESSED + 1)
                .read_to_end(&mut inner)
                .map_err(|e| OwnError::Zip { file: name.clone(), problem: e.to_string() })?;
            drop(entry);
            self.add_into(&name, inner, out)?;
        }
        Ok(())
    }

    fn add_npy(&mut self, path: &str, bytes: &[u8]) -> Result<(), OwnError> {
        let (images, dtype) = npy::read(bytes).map_err(|problem| OwnError::Npy { file: path.into(), problem })?;
        self.check_count(path, images.count())?;
        let (h, w) = (images.height(), images.width());
        // Floats of the polynomial GANs' own size are taken as they are: that is how the
        // reference's polynomial images are stored. Anything else is grey to be scaled.
        let as_is = self.slot == DataSlot::Side40 && dtype != Dtype::U8 && [h, w] == [POLY_SIDE; 2];
        let scale = match dtype {
            Dtype::U8 => 1.0 / 255.0,
            _ => {
                let max = images.pixels().iter().fold(0f32, |m, &v| m.max(v.abs()));
                // Floats in [0, 1] are grey already; others (0-255, or signed) are scaled by their largest magnitude.
                if max <= 1.0 { 1.0 } else { 1.0 / max }
            }
        };
        for image in images.iter() {
            if as_is {
                self.sizes.insert((w, h));
                self.pixels.extend_from_slice(image);
            } else {
                let grey: Vec<f32> = image.iter().map(|&v| (v * scale).abs().min(1.0)).collect();
                self.push_grey(w, h, &grey);
            }
            self.labels.push(Label::Path(path.into()));
        }
        Ok(())
    }

    /// Takes one decoded image: `rgba` is `width * height` pixels of 4 bytes, as a browser's
    /// `ImageData` or the `image` crate gives them. Colour becomes grey, transparency black.
    pub fn add_rgba(&mut self, path: &str, width: usize, height: usize, rgba: &[u8]) -> Result<(), OwnError> {
        let expected = width.saturating_mul(height).saturating_mul(4);
        if width == 0 || height == 0 || rgba.len() != expected {
            return Err(OwnError::BadPixels { file: path.into(), width, height, len: rgba.len(), expected });
        }
        self.check_count(path, 1)?;
        let grey: Vec<f32> = rgba
            .as_chunks::<4>()
            .0
            .iter()
            .map(|&[r, g, b, a]| (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)) * f32::from(a) / (255.0 * 255.0))
            .collect();
        self.push_grey(width, height, &grey);
        self.labels.push(Label::Path(path.into()));
        Ok(())
    }

    /// Notes a file the platform could not decode; it is skipped and counted.
    pub fn skip(&mut self, path: &str, reason: &str) {
        self.skipped.push(format!("{path} ({reason})"));
    }

    /// Resizes grey values in [0, 1] to the model's side and scales them to its range.
    fn push_grey(&mut self, width: usize, height: usize, grey: &[f32]) {
        self.sizes.insert((width, height));
        let side = self.side();
        let resized = resize(grey, width, height, side);
        match self.slot {
            DataSlot::Side28 => self.pixels.extend(resized.iter().map(|v| v * 255.0)),
            // The polynomial images have every row scaled to unit length (docs/models.md).
            DataSlot::Side40 => {
                for row in resized.chunks_exact(side) {
                    let norm = row.iter().map(|v| v * v).sum::<f32>().sqrt();
                    self.pixels.extend(row.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }));
                }
            }
        }
    }

    /// Pairs each IDX images file with its labels file: the one whose name has "labels" where
    /// the images file has "images", or the only one when there is one of each.
    fn take_idx(&mut self) -> Result<(), OwnError> {
        let images = std::mem::take(&mut self.idx_images);
        let mut labels = std::mem::take(&mut self.idx_labels);
        let lone_pair = images.len() == 1 && labels.len() == 1;
        for (name, file) in images {
            let partner = name.replace("images", "labels").replace("idx3", "idx1");
            let found = if lone_pair { Some(0) } else { labels.iter().position(|(n, _)| *n == partner) };
            let file_labels = found.map(|i| labels.remove(i));
            if let Some((labels_file, l)) = &file_labels
                && l.len() != file.count
            {
                return Err(OwnError::CountMismatch {
                    images_file: name,
                    images: file.count,
                    labels_file: labels_file.clone(),
                    labels: l.len(),
                });
            }
            let n = file.rows * file.cols;
            for (i, image) in file.pixels.chunks_exact(n.max(1)).take(file.count).enumerate() {
                let grey: Vec<f32> = image.iter().map(|&p| f32::from(p) / 255.0).collect();
                self.push_grey(file.cols, file.rows, &grey);
                self.labels.push(match &file_labels {
                    Some((_, l)) => Label::Digit(l[i]),
                    None => Label::Path(name.clone()),
                });
            }
        }
        match labels.into_iter().next() {
            Some((file, _)) => Err(OwnError::LabelsAlone { file }),
            None => Ok(()),
        }
    }

    /// The dataset, named `name` (the file or folder given).
    pub fn finish(mut self, name: &str) -> Result<OwnSet, OwnError> {
        self.take_idx()?;
        let count = self.count();
        if count > MAX_IMAGES {
            return Err(OwnError::TooMany { name: name.into(), limit: MAX_IMAGES });
        }
        if count == 0 {
            let skipped = match self.skipped.len() {
                0 => String::new(),
                n => {
                    let more = if n > SKIPPED_SHOWN { ", …" } else { "" };
                    format!(" ({n} files could not be decoded: {}{more})", self.skipped[..n.min(SKIPPED_SHOWN)].join(", "))
                }
            };
            return Err(OwnError::Empty { name: name.into(), skipped });
        }
        let (classes, labels) = classes(&self.labels);
        if classes.len() > MAX_CLASSES {
            return Err(OwnError::TooManyClasses { name: name.into(), count: classes.len(), limit: MAX_CLASSES });
        }
        let side = self.side();
        let report = OwnReport {
            images: count,
            side,
            resized_from: self.sizes.iter().filter(|&&s| s != (side, side)).take(SIZES_SHOWN).map(|&(w, h)| [w, h]).collect(),
            skipped: self.skipped,
            ignored: self.ignored,
        };
        let images = match self.slot {
            DataSlot::Side28 => {
                if count < 2 {
                    return Err(OwnError::TooFew { name: name.into() });
                }
                OwnImages::Side28(split(&self.pixels, &labels, side * side))
            }
            // Built from the right number of pixels of this side, so it cannot fail.
            DataSlot::Side40 => OwnImages::Side40(
                Images::new(count, side, side, self.pixels).map_err(|problem| OwnError::Npy { file: name.into(), problem })?,
            ),
        };
        Ok(OwnSet { name: name.into(), classes, images, report })
    }
}

/// Class names and each image's label. IDX labels name themselves ("0"-"9"); folders give
/// theirs when every image is in one below the folders all images share. Anything else is
/// unlabelled (no classes, every label 0).
fn classes(labels: &[Label]) -> (Vec<String>, Vec<u8>) {
    let unlabelled = (Vec::new(), vec![0; labels.len()]);
    if labels.iter().all(|l| matches!(l, Label::Digit(_))) {
        let digits: Vec<u8> = labels.iter().map(|l| if let Label::Digit(d) = l { *d } else { 0 }).collect();
        let top = digits.iter().copied().max().unwrap_or(0);
        return ((0..=top).map(|d| d.to_string()).collect(), digits);
    }
    let Some(paths) = labels.iter().map(|l| if let Label::Path(p) = l { Some(p.as_str()) } else { None }).collect::<Option<Vec<_>>>()
    else {
        return unlabelled;
    };
    let dirs: Vec<Vec<&str>> = paths
        .iter()
        .map(|p| p.split('/').collect::<Vec<_>>())
        .map(|mut parts| {
            parts.pop();
            parts
        })
        .collect();
    let shared = dirs.iter().map(Vec::len).min().unwrap_or(0);
    let common = (0..shared).take_while(|&i| dirs.iter().all(|d| d[i] == dirs[0][i])).count();
    let Some(class_of) = dirs.iter().map(|d| d.get(common).copied()).collect::<Option<Vec<&str>>>() else {
        return unlabelled; // some image sits in the shared folder itself
    };
    let names: BTreeMap<&str, u8> =
        class_of.iter().copied().collect::<BTreeSet<_>>().into_iter().enumerate().map(|(i, n)| (n, i.min(255) as u8)).collect();
    if names.len() < 2 {
        return unlabelled; // one sub-folder is a folder, not a class
    }
    (names.keys().map(|n| n.to_string()).collect(), class_of.iter().map(|n| names[n]).collect())
}

/// A train and a test split of u8 images, one in [`TEST_EVERY`] to the test split, in an order
/// shuffled by a fixed seed (files often come sorted by class).
fn split(pixels: &[f32], labels: &[u8], n: usize) -> Splits {
    let mut order: Vec<usize> = (0..labels.len()).collect();
    SplitMix64::new(SPLIT_SEED).shuffle(&mut order);
    let test_len = (labels.len() / TEST_EVERY).max(1);
    let part = |indices: &[usize]| {
        let images = indices.iter().flat_map(|&i| pixels[i * n..(i + 1) * n].iter().map(|&v| v.round().clamp(0.0, 255.0) as u8)).collect();
        Split::from_parts(images, indices.iter().map(|&i| labels[i]).collect())
    };
    let (test, train) = order.split_at(test_len);
    Splits { train: part(train), test: part(test) }
}

/// `grey` (`width` x `height`, row-major) resized to `side` x `side`, its aspect kept and the
/// rest black. A triangle filter as wide as the scale: bilinear when enlarging, an average
/// over the covered pixels when shrinking.
pub fn resize(grey: &[f32], width: usize, height: usize, side: usize) -> Vec<f32> {
    if (width, height) == (side, side) {
        return grey.to_vec();
    }
    let scale = side as f32 / width.max(height) as f32;
    let (out_w, out_h) =
        (((width as f32 * scale).round() as usize).clamp(1, side), ((height as f32 * scale).round() as usize).clamp(1, side));
    let columns = weights(width, out_w);
    let rows = weights(height, out_h);
    // Rows first: each source row resampled to out_w, then the columns of that.
    let mut across = vec![0.0; height * out_w];
    for (y, out_row) in across.chunks_exact_mut(out_w).enumerate() {
        let row = &grey[y * width..(y + 1) * width];
        for (o, (start, w)) in out_row.iter_mut().zip(&columns) {
            *o = w.iter().zip(&row[*start..]).map(|(w, v)| w * v).sum();
        }
    }
    let mut out = vec![0.0; side * side];
    let (left, top) = ((side - out_w) / 2, (side - out_h) / 2);
    for (oy, (start, w)) in rows.iter().enumerate() {
        for ox in 0..out_w {
            out[(top + oy) * side + left + ox] = w.iter().enumerate().map(|(k, w)| w * across[(start + k) * out_w + ox]).sum();
        }
    }
    out
}

/// For each of `out` positions along an axis of `len` source pixels: the first source pixel it
/// reads and the weights of it and the ones after, summing to 1.
fn weights(len: usize, out: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = len as f32 / out as f32;
    let support = scale.max(1.0);
    (0..out)
        .map(|o| {
            let centre = (o as f32 + 0.5) * scale - 0.5;
            let first = (centre - support).ceil().max(0.0) as usize;
            let last = ((centre + support).floor() as usize).min(len - 1);
            let raw: Vec<f32> = (first..=last).map(|i| (1.0 - (i as f32 - centre).abs() / support).max(0.0)).collect();
            let total: f32 = raw.iter().sum();
            (first, raw.iter().map(|w| w / total).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests;
