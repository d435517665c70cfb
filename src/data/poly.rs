//! The reference's polynomial images ("polydata"), generated here from a seed instead of being
//! downloaded: per image a degree d uniform in 0..=4, coefficients c[i][j] ~ N(0, 1) for
//! 0 <= i, j <= d of which only the terms with i + j <= d count, img[y][x] = sum of
//! c[i][j] (x/40)^i (y/40)^j, then every row scaled to unit L2 norm (Keras `normalize`).
//! The numbers differ from the reference's file (NumPy's RNG is not reproduced); the
//! distribution is the same.

use super::SplitMix64;
use super::npy::{Images, MAX_VALUES};

pub const POLY_SIDE: usize = 40;
pub const POLY_PIXELS: usize = POLY_SIDE * POLY_SIDE;
/// The most images [`generate`] makes: [`MAX_VALUES`] pixels (1 GiB), 167,772 images.
pub const MAX_POLY_IMAGES: usize = (MAX_VALUES / POLY_PIXELS as u128) as usize;
/// The polynomial GANs' training set: this many images from [`BUILT_IN_SEED`], made where they
/// are needed (in the page's worker, by the command line) rather than downloaded, and written
/// to a file by `latent-lab polydata` with the same defaults.
pub const BUILT_IN_COUNT: usize = 20_000;
pub const BUILT_IN_SEED: u64 = 1;
/// Degrees are uniform in 0..=MAX_DEGREE.
pub const MAX_DEGREE: usize = 4;

/// (t/40)^k for t in 0..40 and k in 0..=MAX_DEGREE: the powers of both x and y.
type Powers = [[f64; MAX_DEGREE + 1]; POLY_SIDE];

/// `count` images of 40x40, the same for a seed on every platform: the draws are SplitMix64's
/// and the arithmetic is plain IEEE (no libm). Per image the generator draws the degree, then
/// the (d+1)^2 coefficients in row-major order, unused ones included, as the reference does.
/// Computed in f64, stored as f32. `count` is clamped to [`MAX_POLY_IMAGES`].
pub fn generate(count: usize, seed: u64) -> Images {
    let count = count.min(MAX_POLY_IMAGES);
    let mut powers: Powers = [[1.0; MAX_DEGREE + 1]; POLY_SIDE];
    for (t, p) in powers.iter_mut().enumerate() {
        for k in 1..=MAX_DEGREE {
            p[k] = p[k - 1] * (t as f64 / POLY_SIDE as f64);
        }
    }
    let mut rng = SplitMix64::new(seed);
    let mut pixels = vec![0.0; count * POLY_PIXELS];
    let mut coefficients = [0.0; (MAX_DEGREE + 1) * (MAX_DEGREE + 1)];
    for image in pixels.chunks_exact_mut(POLY_PIXELS) {
        let degree = rng.below(MAX_DEGREE + 1);
        let used = &mut coefficients[..(degree + 1) * (degree + 1)];
        used.iter_mut().for_each(|c| *c = rng.normal());
        render(degree, used, &powers, image);
    }
    Images { count, height: POLY_SIDE, width: POLY_SIDE, pixels }
}

/// Fills one image; `c[i * (degree + 1) + j]` multiplies x^i y^j. Each row is evaluated as a
/// polynomial in x whose coefficients a[i] = sum over j <= degree - i of c[i][j] y^j.
fn render(degree: usize, c: &[f64], powers: &Powers, image: &mut [f32]) {
    let n = degree + 1;
    let mut row = [0.0; POLY_SIDE];
    for (out, py) in image.chunks_exact_mut(POLY_SIDE).zip(powers) {
        let mut a = [0.0; MAX_DEGREE + 1];
        for (i, (ai, ci)) in a.iter_mut().zip(c.chunks_exact(n)).enumerate() {
            *ai = ci.iter().zip(py).take(n - i).map(|(c, p)| c * p).sum();
        }
        for (v, px) in row.iter_mut().zip(powers) {
            *v = a.iter().zip(px).map(|(a, p)| a * p).sum();
        }
        // A zero row stays zero, as in Keras (which divides by 1 where the norm is 0).
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for (o, v) in out.iter_mut().zip(&row) {
            *o = (v * scale) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(images: &Images) -> std::slice::ChunksExact<'_, f32> {
        images.pixels().chunks_exact(POLY_SIDE)
    }

    #[test]
    fn evaluates_the_terms_up_to_the_degree_with_i_the_power_of_x() {
        // Degree 1: 1 + 2 y/40 + 3 x/40; the x y coefficient (100) is drawn but unused.
        let mut powers: Powers = [[1.0; MAX_DEGREE + 1]; POLY_SIDE];
        for (t, p) in powers.iter_mut().enumerate() {
            p[1] = t as f64 / 40.0;
        }
        let mut image = vec![0.0; POLY_PIXELS];
        render(1, &[1.0, 2.0, 3.0, 100.0], &powers, &mut image);
        let y = 10;
        let raw: Vec<f64> = (0..POLY_SIDE).map(|x| 1.0 + 2.0 * y as f64 / 40.0 + 3.0 * x as f64 / 40.0).collect();
        let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
        for (x, v) in raw.iter().enumerate() {
            assert!((f64::from(image[y * POLY_SIDE + x]) - v / norm).abs() < 1e-7);
        }
    }

    #[test]
    fn about_a_fifth_are_constant_images_of_plus_or_minus_one_over_root_40() {
        let images = generate(5000, 1);
        let value = 1.0 / (POLY_SIDE as f32).sqrt();
        let constant = images
            .iter()
            .filter(|image| image.chunks_exact(POLY_SIDE).all(|row| row.iter().all(|&v| v == row[0])))
            .inspect(|image| assert!(image.iter().all(|v| (v - value).abs() < 1e-6) || image.iter().all(|v| (v + value).abs() < 1e-6)))
            .count();
        // Binomial(5000, 1/5): mean 1000, standard deviation 28.
        assert!((880..=1120).contains(&constant), "{constant}");
    }

    #[test]
    fn every_row_has_unit_norm() {
        let images = generate(500, 2);
        assert_eq!((images.count(), images.height(), images.width()), (500, POLY_SIDE, POLY_SIDE));
        for row in rows(&images) {
            let norm2: f64 = row.iter().map(|&v| f64::from(v).powi(2)).sum();
            assert!((norm2 - 1.0).abs() < 1e-5, "{norm2}");
        }
    }

    #[test]
    fn rows_are_polynomials_of_degree_at_most_4() {
        let residual = crate::metrics::row_residual(&generate(500, 3)).unwrap();
        assert!(residual < 1e-6, "{residual}");
    }

    #[test]
    fn a_seed_gives_the_same_images() {
        assert_eq!(generate(50, 4), generate(50, 4));
        assert_ne!(generate(50, 4), generate(50, 5));
        assert_eq!(generate(0, 4).count(), 0);
        // The same bits on every platform (wasm included): a fingerprint of a few images.
        let fingerprint =
            generate(20, 7).pixels().iter().fold(0u64, |h, v| (h ^ u64::from(v.to_bits())).wrapping_mul(0x0000_0100_0000_01b3));
        assert_eq!(fingerprint, 1_309_752_796_776_095_021);
    }
}
