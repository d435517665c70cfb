//! Draw to encode: a drawing of 28x28 pixels through an autoencoder's encoder, placed in its
//! latent plane beside its reconstruction and the test digit it looks most like.

use serde::Serialize;

use super::Session;
use crate::data::{IMAGE_PIXELS, IMAGE_SIDE};
use crate::error::LabError;
use crate::render::{bytes_to_rgba, gray_to_rgba};

/// Where a drawing lands in the latent plane, and what the model and the data make of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Encoded {
    /// The posterior mean `[x, y]`: the same point the scatter shows for an image in its
    /// "mean" mode.
    pub mean: Vec<f32>,
    /// The posterior standard deviation `[sx, sy]` of the VAE (its 1-sigma ellipse); none for
    /// the plain autoencoder, whose code is a point.
    pub std: Option<Vec<f32>>,
    pub side: usize,
    /// The image decoded from the mean, RGBA.
    #[serde(skip)]
    pub recon: Vec<u8>,
    pub nearest: Nearest,
}

/// The test digit of the evaluation subset nearest to the drawing in pixel space (Euclidean
/// distance over the 784 pixels in [0, 1]): what the data holds that looks most like the
/// drawing, whatever the model makes of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Nearest {
    /// Its index in the evaluation subset, which is also its index among the scatter's points.
    pub index: usize,
    /// Its label; none for unlabelled data.
    pub label: Option<u8>,
    pub distance: f32,
    #[serde(skip)]
    pub rgba: Vec<u8>,
}

/// Refuses anything but 784 finite values in [0, 1].
fn check_drawing(pixels: &[f32]) -> Result<(), LabError> {
    if pixels.len() != IMAGE_PIXELS {
        return Err(LabError::invalid(
            "drawing",
            format!("a drawing is {IMAGE_SIDE}x{IMAGE_SIDE} = {IMAGE_PIXELS} pixels, not {}", pixels.len()),
        ));
    }
    if let Some(i) = pixels.iter().position(|v| !(0.0..=1.0).contains(v)) {
        return Err(LabError::invalid("drawing", format!("a drawing's pixels are numbers from 0 to 1; pixel {i} is {}", pixels[i])));
    }
    Ok(())
}

impl Session {
    /// Encodes one drawing (784 values in [0, 1], row-major from the top left) with the
    /// current autoencoder: its posterior mean and spread, its reconstruction, and the nearest
    /// test digit of the evaluation subset. A GAN has no encoder and refuses.
    pub async fn encode(&self, pixels: &[f32]) -> Result<Encoded, LabError> {
        let trainer = self.trainer()?;
        check_drawing(pixels)?;
        let encoding = trainer.encode(pixels).await?;
        let data = self.data.side28()?;
        let subset = &data.subset;
        let distance = |i: usize| -> f32 { subset.image(i).iter().zip(pixels).map(|(&p, &d)| (f32::from(p) / 255.0 - d).powi(2)).sum() };
        let (index, squared) = (0..subset.len()).map(|i| (i, distance(i))).min_by(|a, b| a.1.total_cmp(&b.1)).ok_or(LabError::NoData)?;
        Ok(Encoded {
            mean: encoding.mean,
            std: encoding.log_var.map(|log_var| log_var.iter().map(|v| (v / 2.0).exp()).collect()),
            side: IMAGE_SIDE,
            recon: gray_to_rgba(&encoding.recon),
            nearest: Nearest {
                index,
                label: (!data.classes.is_empty()).then(|| subset.label(index)),
                distance: squared.sqrt(),
                rgba: bytes_to_rgba(subset.image(index)),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::check_drawing;

    #[test]
    fn only_784_values_in_0_to_1_are_a_drawing() {
        assert!(check_drawing(&[0.5; 784]).is_ok());
        for bad in [vec![0.0; 783], vec![], vec![0.0; 785]] {
            assert!(check_drawing(&bad).unwrap_err().to_string().contains("784 pixels"));
        }
        for value in [f32::NAN, f32::INFINITY, -0.1, 1.5] {
            let mut pixels = vec![0.0; 784];
            pixels[300] = value;
            assert!(check_drawing(&pixels).unwrap_err().to_string().contains("pixel 300"), "{value}");
        }
    }
}
