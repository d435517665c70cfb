//! What a session shows of its model: test figures, latent points, decoded and generated
//! images (as RGBA pixels in the model's palette), and the GANs' quality meters. Requests
//! are checked here, so that a bad one is an error, never a panic.

use serde::Serialize;

use super::{Datasets, Session, judge_device};
use crate::data::npy::Images;
use crate::data::poly::POLY_SIDE;
use crate::data::{IMAGE_SIDE, TrainSet};
use crate::error::LabError;
use crate::metrics::{self, DEGREE_BINS, PAIRWISE_IMAGES};
use crate::model::{GanKind, ModelKind};
use crate::render::{bytes_to_rgba, gray_to_rgba, signed_to_rgba, tanh_to_unit, tile};
use crate::train::EvalReport;
use crate::train::gan::{METER_NOISE_SEED, fixed_noise};
use crate::train::judge::{digit_meters, real_digits};

/// Most cells per side of a decoded manifold: 32 x 32 digits are already a 896 px image.
pub const MAX_MANIFOLD_SIDE: usize = 32;
/// Most latent points one decode call decodes.
pub const MAX_DECODE_POINTS: usize = 1024;
/// Most samples per side of a GAN's sample grid.
pub const MAX_GRID_SIDE: usize = 16;
/// Seed of the fixed noise behind the sample grid: fixed so that successive grids show the
/// same points of the noise space as training goes.
const GRID_NOISE_SEED: u64 = 0x6e01;
/// Generated images the quality meters judge (and real ones they compare with).
const METER_SAMPLES: usize = PAIRWISE_IMAGES;
/// Polynomial images are drawn on a diverging scale that saturates here: a row of unit norm
/// over 40 pixels has an RMS of 0.16, its peaks rarely pass 0.35.
const POLY_DISPLAY_SCALE: f32 = 0.35;

/// Which images an evaluation runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The fixed 2,000-image test subset the page evaluates often.
    Subset,
    Test,
    Train,
}

/// Images tiled into one RGBA image.
#[derive(Debug, Clone)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    pub rgba: Vec<u8>,
}

/// One test digit of each class and its reconstruction, RGBA bytes of `count` images each.
#[derive(Debug, Clone)]
pub struct Reconstructions {
    pub count: usize,
    pub side: usize,
    pub originals: Vec<u8>,
    pub recons: Vec<u8>,
}

/// The polynomial GANs' meters beside the real data's: smoothness is the fraction of row
/// variance a degree-4 polynomial fit leaves unexplained (real data ~0, noise ~0.9),
/// diversity the samples' mean pairwise distance over the real images' (a collapsed
/// generator scores near 0). `degrees` counts the samples by [`metrics::image_degree`]
/// (degrees 0 to 4, then "none"), `real_degrees` 256 real images alike, and
/// `degree_distance` is the total-variation distance between the two: 0 when the samples
/// hold each degree as often as the real images, 1 when they share none.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolyMeters {
    pub smoothness: Option<f64>,
    pub real_smoothness: Option<f64>,
    pub diversity: Option<f64>,
    pub degrees: [u32; DEGREE_BINS],
    pub real_degrees: [u32; DEGREE_BINS],
    pub degree_distance: Option<f64>,
    pub count: usize,
}

/// The MNIST DCGAN's meters by the frozen judge: its mean top-class probability, the digits
/// it finds in at least 2.5 % of the samples, how many it gives each digit, and the Frechet
/// distance between its features of the samples and of 1,000 real test digits; the `real`
/// figures are those of 256 other real test digits.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitMeters {
    pub confidence: f64,
    pub covered: usize,
    pub histogram: [u32; 10],
    pub frechet: f64,
    pub real_confidence: f64,
    pub real_covered: usize,
    pub real_frechet: f64,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Meters {
    Poly(PolyMeters),
    Digits(DigitMeters),
}

/// How a model's images become pixels: [0, 1] grey (the autoencoders' sigmoid), [-1, 1]
/// grey (the MNIST DCGAN's tanh), or signed values on a diverging scale (polynomial images).
fn rgba(model: ModelKind, values: &[f32]) -> Vec<u8> {
    match model {
        ModelKind::Latent(_) => gray_to_rgba(values),
        ModelKind::Gan(GanKind::DcganMnist) => gray_to_rgba(&tanh_to_unit(values)),
        ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => signed_to_rgba(values, POLY_DISPLAY_SCALE),
    }
}

/// The centres of an `n` x `n` grid of cells over [x0, x1] x [y0, y1], row-major from the
/// top: row 0 is the largest y, as on screen.
fn cell_centres([x0, x1, y0, y1]: [f32; 4], n: usize) -> Vec<f32> {
    let centre = |a: f32, b: f32, i: usize| a + (b - a) * (i as f32 + 0.5) / n as f32;
    (0..n).flat_map(|row| (0..n).flat_map(move |col| [centre(x0, x1, col), centre(y1, y0, row)])).collect()
}

impl Session {
    fn model(&self) -> ModelKind {
        self.settings.model()
    }

    /// `n * n` images of the current model tiled row-major into one RGBA image.
    fn grid(&self, images: &[f32], n: usize) -> Grid {
        let side = self.model().image_side();
        Grid { width: n * side, height: n * side, rgba: rgba(self.model(), &tile(images, n, side)) }
    }

    /// Test figures of an autoencoder on `split`.
    pub async fn evaluate(&self, split: Split) -> Result<EvalReport, LabError> {
        let data = self.data.side28()?;
        let images = match split {
            Split::Subset => &data.subset,
            Split::Test => &data.splits.test,
            Split::Train => &data.splits.train,
        };
        self.trainer()?.evaluate(images).await
    }

    /// Latent points of the evaluation subset `[x0, y0, ...]` with their labels: posterior
    /// means when `mean`, else the sampled codes.
    pub async fn latents(&self, mean: bool) -> Result<(Vec<f32>, Vec<u8>), LabError> {
        let data = self.data.side28()?;
        let points = self.trainer()?.embed(&data.subset, mean).await?;
        let labels = (0..data.subset.len()).map(|i| data.subset.label(i)).collect();
        Ok((points, labels))
    }

    /// The images at 2-D points `[x0, y0, ...]` of the model's plane (at most 1024 finite
    /// points), the model's values concatenated: decoded by an autoencoder, generated from
    /// that noise by a polynomial GAN.
    pub async fn images_at(&self, points: &[f32]) -> Result<Vec<f32>, LabError> {
        if points.is_empty()
            || !points.len().is_multiple_of(2)
            || points.len() / 2 > MAX_DECODE_POINTS
            || !points.iter().all(|v| v.is_finite())
        {
            return Err(LabError::invalid(
                "latent",
                format!("expected 1 to {MAX_DECODE_POINTS} finite (x, y) points, got {} numbers", points.len()),
            ));
        }
        self.trainer()?.images_at(points).await
    }

    /// [`Self::images_at`] as RGBA bytes, in the model's palette.
    pub async fn decode(&self, points: &[f32]) -> Result<Vec<u8>, LabError> {
        Ok(rgba(self.model(), &self.images_at(points).await?))
    }

    /// The decoded manifold: an `n` x `n` grid of the images at the centres of the cells of
    /// the latent rectangle `[x0, x1, y0, y1]`, as one image with y growing upwards (the top
    /// row is y1).
    pub async fn manifold(&self, rect: [f32; 4], n: usize) -> Result<Grid, LabError> {
        if !(1..=MAX_MANIFOLD_SIDE).contains(&n) {
            return Err(LabError::invalid("manifold", format!("the grid side must be 1 to {MAX_MANIFOLD_SIDE}, not {n}")));
        }
        let [x0, x1, y0, y1] = rect;
        if !rect.iter().all(|v| v.is_finite()) || x0 >= x1 || y0 >= y1 {
            return Err(LabError::invalid("manifold", format!("[{x0}, {x1}] x [{y0}, {y1}] is not a latent rectangle")));
        }
        let images = self.images_at(&cell_centres(rect, n)).await?;
        Ok(self.grid(&images, n))
    }

    /// One test image of each class and its reconstruction.
    pub async fn reconstructions(&self) -> Result<Reconstructions, LabError> {
        let data = self.data.side28()?;
        let recons = self.trainer()?.reconstruct(&data.splits.test, &data.strip).await?;
        Ok(Reconstructions {
            count: data.strip.len(),
            side: IMAGE_SIDE,
            originals: data.strip.iter().flat_map(|&i| bytes_to_rgba(data.splits.test.image(i))).collect(),
            recons: gray_to_rgba(&recons),
        })
    }

    /// The GAN's samples from a fixed noise seed, an `n` x `n` grid (n <= 16). The same noise
    /// every time, so successive grids show how the same points of the noise space change as
    /// training goes.
    pub async fn samples(&self, n: usize) -> Result<Grid, LabError> {
        if !(1..=MAX_GRID_SIDE).contains(&n) {
            return Err(LabError::invalid("samples", format!("the grid side must be 1 to {MAX_GRID_SIDE}, not {n}")));
        }
        let trainer = self.trainer()?;
        let dim = trainer.noise_dim().ok_or_else(|| not_a_gan(self.model()))?;
        let images = trainer.generate(&fixed_noise(n * n, dim, GRID_NOISE_SEED)).await?;
        Ok(self.grid(&images, n))
    }

    /// The first training images of the current model's data, an `n` x `n` grid (fewer when
    /// the set is smaller), as the model reads them: what your own files became, and the real
    /// images beside a GAN's samples.
    pub fn real_images(&self, n: usize) -> Result<Grid, LabError> {
        if !(1..=MAX_GRID_SIDE).contains(&n) {
            return Err(LabError::invalid("samples", format!("the grid side must be 1 to {MAX_GRID_SIDE}, not {n}")));
        }
        let model = self.model();
        let set = self.data.train_set(model).ok_or_else(|| Datasets::missing(model))?;
        let n = n.min(set.len().isqrt()).max(1);
        let mut values = Vec::new();
        match (model, set) {
            (ModelKind::Latent(_), TrainSet::Split(split)) => values = split.unit_pixels(&(0..n * n).collect::<Vec<_>>()),
            _ => (0..n * n).for_each(|i| set.images().extend_pixels(i, &mut values)),
        }
        Ok(self.grid(&values, n))
    }

    /// Quality meters of the GAN on 256 samples from a fixed noise seed, beside the real
    /// data's figures; the MNIST DCGAN's need the judge of the data it trains on
    /// ([`Session::load_judge`], or [`Session::start_judge`] for your own).
    pub async fn meters(&mut self) -> Result<Meters, LabError> {
        let model = self.model();
        let trainer = self.trainer()?;
        let dim = trainer.noise_dim().ok_or_else(|| not_a_gan(model))?;
        let pixels = trainer.generate(&fixed_noise(METER_SAMPLES, dim, METER_NOISE_SEED)).await?;
        if !model.info().judged {
            let poly = self.data.side40()?;
            let samples = Images::new(METER_SAMPLES, POLY_SIDE, POLY_SIDE, pixels)
                .map_err(|e| LabError::Backend(format!("the generator returned images of the wrong size: {e}")))?;
            let degrees = metrics::degree_histogram(&samples);
            return Ok(Meters::Poly(PolyMeters {
                smoothness: metrics::row_residual(&samples),
                real_smoothness: poly.reference.smoothness,
                diversity: metrics::diversity(&samples, poly.reference.distance),
                degrees,
                real_degrees: poly.reference.degrees,
                degree_distance: metrics::total_variation(&degrees, &poly.reference.degrees),
                count: METER_SAMPLES,
            }));
        }
        let Datasets { side28, judges, .. } = &mut self.data;
        let data = side28.as_ref().ok_or(LabError::NoData)?;
        let judge = judges.iter_mut().find(|j| j.of.judges(&data.id)).ok_or_else(|| LabError::NoJudge(data.id.label()))?;
        let real = match judge.real.take() {
            Some(real) => real,
            None => real_digits(&judge.judge, &data.splits, &judge_device()).await?,
        };
        let measured = digit_meters(&judge.judge, &tanh_to_unit(&pixels), &real.reference, &judge_device()).await;
        let real = judge.real.insert(real);
        let (report, frechet) = measured?;
        Ok(Meters::Digits(DigitMeters {
            confidence: report.confidence,
            covered: report.covered,
            histogram: report.histogram,
            frechet,
            real_confidence: real.report.confidence,
            real_covered: real.report.covered,
            real_frechet: real.frechet,
            count: METER_SAMPLES,
        }))
    }
}

fn not_a_gan(model: ModelKind) -> LabError {
    LabError::invalid("model", format!("the model {} has no generated samples", model.name()))
}

#[cfg(test)]
mod tests {
    use super::cell_centres;

    #[test]
    fn manifold_cells_run_from_the_top_left() {
        assert_eq!(cell_centres([0.0, 2.0, 0.0, 2.0], 2), [0.5, 1.5, 1.5, 1.5, 0.5, 0.5, 1.5, 0.5]);
    }
}
