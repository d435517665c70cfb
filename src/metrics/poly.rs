//! Meters of the polynomial GANs: smoothness (do the rows look like polynomials?), the
//! spread of polynomial degrees, and diversity (are the samples as different from each other
//! as real images are?).

use crate::data::npy::Images;
use crate::data::random_indices;

/// Degree of the polynomial fitted to every row: real rows have degree at most 4 in x.
pub const FIT_DEGREE: usize = 4;

/// Rows whose sum of squares about their mean is at most this fraction of their plain sum of
/// squares are flat (real constant rows are exactly flat): their unexplained fraction would be
/// rounding noise divided by almost nothing, so [`row_residual`] skips them. Scale-free, so it
/// suits unit-norm rows and a generator's unnormalised ones alike.
pub const FLAT_ROW: f64 = 1e-6;

/// Images [`diversity`] compares: 256 make 32,640 pairs, ~50 million multiply-adds at 40x40.
pub const PAIRWISE_IMAGES: usize = 256;

/// Smoothness: the fraction of each row's variance that a least-squares polynomial of degree
/// [`FIT_DEGREE`] in x leaves unexplained, averaged over the rows that are not flat (see
/// [`FLAT_ROW`]; rows holding NaN or infinities are skipped too). About 0 for real polynomial
/// images and (W - 5) / (W - 1), ~0.9, for i.i.d. noise. None when no row qualifies.
pub fn row_residual(images: &Images) -> Option<f64> {
    let width = images.width();
    let basis = zero_mean_basis(width);
    let (mut sum, mut rows) = (0.0, 0usize);
    for row in images.pixels().chunks_exact(width) {
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / width as f64;
        let centred = || row.iter().map(move |&v| f64::from(v) - mean);
        let total: f64 = centred().map(|v| v * v).sum();
        let energy = total + width as f64 * mean * mean;
        if total > FLAT_ROW * energy && total.is_finite() {
            // The fit's part of the centred row is its projection on the orthonormal basis.
            let explained: f64 = basis.chunks_exact(width).map(|q| q.iter().zip(centred()).map(|(q, v)| q * v).sum::<f64>().powi(2)).sum();
            sum += ((total - explained) / total).clamp(0.0, 1.0);
            rows += 1;
        }
    }
    (rows > 0).then(|| sum / rows as f64)
}

/// A row fit that leaves less than this fraction of an image's row variance fits it:
/// [`image_degree`]'s tolerance. Coarse for the real images, whose rows are polynomials in
/// x/40, in [0, 1): there x^4 is a cubic but for 0.03 % of its variance and x^3 a quadratic
/// but for 0.5 %, so a real image of degree 4 mostly measures 2 or 3 and degree 4 is rare.
/// The samples are measured alike, so the two histograms still compare.
pub const DEGREE_TOLERANCE: f64 = 0.01;

/// Bins of a [`degree_histogram`]: degrees 0 to [`FIT_DEGREE`], then one for the images that no
/// polynomial of degree [`FIT_DEGREE`] fits (and those holding NaN or infinities).
pub const DEGREE_BINS: usize = FIT_DEGREE + 2;

/// The smallest degree d in 0..=[`FIT_DEGREE`] whose least-squares polynomial in x, fitted to
/// every row of the image on its own, leaves under [`DEGREE_TOLERANCE`] of the image's row
/// variance; [`FIT_DEGREE`] + 1 when none does. Only rows are fitted, as in [`row_residual`]:
/// how the image changes down its columns is free, which is what the real images' degree
/// means (each of their rows is a polynomial of the image's degree in x). The row variance
/// is pooled over the image: the sum over rows of the squares about each row's own mean, so
/// that a nearly flat row weighs little instead of counting as much as the others. A
/// degree-0 fit (each row's mean) leaves all of it, so degree 0 means flat rows: row variance
/// at most [`FLAT_ROW`] of the image's plain sum of squares (an all-zero image is flat too).
/// An image with a value that is not finite gets the last bin.
pub fn image_degree(image: &[f32], width: usize) -> usize {
    image_degree_in(image, width, &zero_mean_basis(width))
}

/// [`image_degree`] with the basis of `width` made once for many images.
fn image_degree_in(image: &[f32], width: usize, basis: &[f64]) -> usize {
    let none = FIT_DEGREE + 1;
    let (mut variance, mut energy) = (0.0, 0.0);
    // explained[k]: the row variance that basis vector k (degree k + 1) accounts for.
    let mut explained = [0.0; FIT_DEGREE];
    for row in image.chunks_exact(width) {
        let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / width as f64;
        let centred = || row.iter().map(move |&v| f64::from(v) - mean);
        let total: f64 = centred().map(|v| v * v).sum();
        variance += total;
        energy += total + width as f64 * mean * mean;
        for (e, q) in explained.iter_mut().zip(basis.chunks_exact(width)) {
            *e += q.iter().zip(centred()).map(|(q, v)| q * v).sum::<f64>().powi(2);
        }
    }
    if !(variance.is_finite() && energy.is_finite()) {
        return none;
    }
    if variance <= FLAT_ROW * energy {
        return 0;
    }
    let mut left = variance;
    for (k, e) in explained.iter().enumerate() {
        left -= e;
        if left < DEGREE_TOLERANCE * variance {
            return k + 1;
        }
    }
    none
}

/// How many of `images` have each [`image_degree`], bins 0..=[`FIT_DEGREE`] and the last for
/// "none".
pub fn degree_histogram(images: &Images) -> [u32; DEGREE_BINS] {
    let width = images.width();
    let basis = zero_mean_basis(width);
    let mut histogram = [0; DEGREE_BINS];
    for image in images.iter() {
        histogram[image_degree_in(image, width, &basis)] += 1;
    }
    histogram
}

/// The total-variation distance between two histograms taken as distributions: half the sum
/// of the absolute differences of their shares, 0 for the same shares, 1 when no bin holds
/// both. None when either is empty.
pub fn total_variation(a: &[u32], b: &[u32]) -> Option<f64> {
    let (sa, sb) = (a.iter().map(|&n| f64::from(n)).sum::<f64>(), b.iter().map(|&n| f64::from(n)).sum::<f64>());
    if a.len() != b.len() || sa == 0.0 || sb == 0.0 {
        return None;
    }
    Some(a.iter().zip(b).map(|(&x, &y)| (f64::from(x) / sa - f64::from(y) / sb).abs()).sum::<f64>() / 2.0)
}

/// An orthonormal basis, at `width` points x evenly spread over [-1, 1], of the polynomials of
/// degree 1..=FIT_DEGREE orthogonal to the constants; `width` values per vector. Each vector is
/// x times the previous one, orthogonalised twice (Gram-Schmidt) against the constants and the
/// vectors before it: well conditioned, unlike raw powers of x. A vector that vanishes (width <=
/// FIT_DEGREE) ends the basis, as the ones before it then span every centred row.
fn zero_mean_basis(width: usize) -> Vec<f64> {
    let step = 2.0 / width.saturating_sub(1).max(1) as f64;
    let mut basis: Vec<f64> = Vec::with_capacity(FIT_DEGREE * width);
    let mut previous = vec![1.0; width];
    for _ in 0..FIT_DEGREE {
        let mut v: Vec<f64> = previous.iter().enumerate().map(|(t, p)| p * (t as f64 * step - 1.0)).collect();
        for _ in 0..2 {
            let mean = v.iter().sum::<f64>() / width as f64;
            v.iter_mut().for_each(|v| *v -= mean);
            for q in basis.chunks_exact(width) {
                let projection: f64 = q.iter().zip(&v).map(|(q, v)| q * v).sum();
                v.iter_mut().zip(q).for_each(|(v, q)| *v -= projection * q);
            }
        }
        let norm = v.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm < 1e-9 {
            break;
        }
        v.iter_mut().for_each(|v| *v /= norm);
        basis.extend_from_slice(&v);
        previous = v;
    }
    basis
}

/// Mean L2 distance over all pairs of the first `max_images` images (n (n - 1) / 2 pairs), in
/// f64. None with fewer than two images or when a value is not finite.
pub fn mean_pairwise_distance(images: &Images, max_images: usize) -> Option<f64> {
    let (mut sum, mut pairs) = (0.0, 0u64);
    for (i, a) in images.iter().take(max_images).enumerate() {
        for b in images.iter().take(i) {
            let squared: f64 = a.iter().zip(b).map(|(&a, &b)| (f64::from(a) - f64::from(b)).powi(2)).sum();
            sum += squared.sqrt();
            pairs += 1;
        }
    }
    (pairs > 0).then(|| sum / pairs as f64).filter(|d| d.is_finite())
}

/// The real polynomial images' figures that the generated ones are measured against and
/// shown beside, from a fixed random sample of [`PAIRWISE_IMAGES`] of them (a user's file may
/// be sorted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolyReference {
    /// Mean pairwise L2 distance: the yardstick of [`diversity`].
    pub distance: f64,
    pub smoothness: Option<f64>,
    /// [`degree_histogram`] of the sample.
    pub degrees: [u32; DEGREE_BINS],
}

impl PolyReference {
    pub fn of(images: &Images) -> Self {
        let sample = images.select(&random_indices(images.count(), PAIRWISE_IMAGES, 0x5eed));
        PolyReference {
            distance: mean_pairwise_distance(&sample, PAIRWISE_IMAGES).unwrap_or(0.0),
            smoothness: row_residual(&sample),
            degrees: degree_histogram(&sample),
        }
    }
}

/// Diversity: the generated images' mean pairwise distance over [`PAIRWISE_IMAGES`] of them,
/// divided by the real images' (`real_pairwise`, computed once with
/// `mean_pairwise_distance(real, PAIRWISE_IMAGES)`). About 1 for a good generator, towards 0
/// under mode collapse. None without two generated images or a positive real figure.
pub fn diversity(generated: &Images, real_pairwise: f64) -> Option<f64> {
    if !(real_pairwise > 0.0 && real_pairwise.is_finite()) {
        return None;
    }
    mean_pairwise_distance(generated, PAIRWISE_IMAGES).map(|d| d / real_pairwise)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SplitMix64;
    use crate::data::poly::generate;

    fn noise(count: usize, seed: u64) -> Images {
        let mut rng = SplitMix64::new(seed);
        Images::new(count, 40, 40, (0..count * 1600).map(|_| rng.uniform() as f32).collect()).unwrap()
    }

    #[test]
    fn the_basis_is_orthonormal_and_zero_mean() {
        for width in [2, 5, 6, 40, 200] {
            let basis = zero_mean_basis(width);
            let vectors: Vec<&[f64]> = basis.chunks_exact(width).collect();
            assert_eq!(vectors.len(), FIT_DEGREE.min(width - 1));
            for (i, a) in vectors.iter().enumerate() {
                assert!(a.iter().sum::<f64>().abs() < 1e-12);
                for (j, b) in vectors.iter().enumerate() {
                    let dot: f64 = a.iter().zip(*b).map(|(a, b)| a * b).sum();
                    assert!((dot - f64::from(u8::from(i == j))).abs() < 1e-12, "{width} {i} {j} {dot}");
                }
            }
        }
    }

    #[test]
    fn quartic_rows_leave_nothing_and_noise_about_35_39ths() {
        // Steep quartics in raw x = 0..39 (values up to ~10^6), unnormalised.
        let rows: Vec<f32> = (0..40 * 40)
            .map(|i| {
                let (y, x) = ((i / 40) as f64, (i % 40) as f64);
                (y - 20.0 + x * (3.0 - y) + 0.1 * x * x * x * (x - 20.0 - y)) as f32
            })
            .collect();
        let quartic = row_residual(&Images::new(1, 40, 40, rows).unwrap()).unwrap();
        assert!(quartic < 1e-6, "{quartic}");
        let residual = row_residual(&noise(500, 1)).unwrap();
        assert!((residual - 35.0 / 39.0).abs() < 0.02, "{residual}");
        // A degree 5 term shows.
        let quintic: Vec<f32> = (0..40).map(|x| (x as f32 / 20.0 - 1.0).powi(5)).collect();
        assert!(row_residual(&Images::new(1, 1, 40, quintic).unwrap()).unwrap() > 1e-3);
    }

    #[test]
    fn flat_rows_do_not_count() {
        let flat = Images::new(3, 2, 40, [0.0, 1.0, -0.5].iter().flat_map(|&v| [v; 80]).collect()).unwrap();
        assert_eq!(row_residual(&flat), None);
        let mut nan = noise(1, 2).into_pixels();
        nan[0] = f32::NAN;
        let residual = row_residual(&Images::new(1, 40, 40, nan).unwrap()).unwrap();
        assert!((residual - 35.0 / 39.0).abs() < 0.2, "{residual}");
        // Five points or fewer: a quartic fits anything.
        assert!(row_residual(&Images::new(1, 320, 5, noise(1, 3).into_pixels()).unwrap()).unwrap() < 1e-12);
    }

    #[test]
    fn pairwise_distances() {
        let image: Vec<f32> = noise(1, 4).into_pixels();
        let copies = Images::new(5, 40, 40, image.repeat(5)).unwrap();
        assert_eq!(mean_pairwise_distance(&copies, 256), Some(0.0));
        assert_eq!(diversity(&copies, 1.0), Some(0.0));
        // Images of four pixels all 0, 1 and 2: distances 2, 4 and 2.
        let three = Images::new(3, 2, 2, [0.0, 1.0, 2.0].iter().flat_map(|&v| [v; 4]).collect()).unwrap();
        assert_eq!(mean_pairwise_distance(&three, 256), Some(8.0 / 3.0));
        assert_eq!(mean_pairwise_distance(&three, 2), Some(2.0));
        assert_eq!(mean_pairwise_distance(&three, 1), None);
    }

    #[test]
    fn generated_polynomials_are_as_diverse_as_real_ones() {
        let real = mean_pairwise_distance(&generate(PAIRWISE_IMAGES, 1), PAIRWISE_IMAGES).unwrap();
        let other = diversity(&generate(PAIRWISE_IMAGES, 2), real).unwrap();
        assert!((other - 1.0).abs() < 0.1, "{other}");
        assert_eq!(diversity(&generate(10, 2), 0.0), None);
        assert_eq!(diversity(&generate(1, 2), real), None);
    }

    /// An image whose every row is a polynomial of exactly degree `k` in x, with coefficients
    /// that change down the image.
    fn polynomial_image(k: usize, rng: &mut SplitMix64) -> Vec<f32> {
        let mut pixels = Vec::with_capacity(1600);
        for _ in 0..40 {
            let mut a: Vec<f64> = (0..=k).map(|_| rng.normal()).collect();
            a[k] = a[k].signum() * (1.0 + a[k].abs());
            pixels.extend((0..40).map(|x| {
                let t = x as f64 / 20.0 - 1.0;
                a.iter().rev().fold(0.0, |v, c| v * t + c) as f32
            }));
        }
        pixels
    }

    #[test]
    fn exact_polynomials_have_their_degree_and_noise_none() {
        let mut rng = SplitMix64::new(7);
        for k in 0..=FIT_DEGREE {
            for _ in 0..20 {
                assert_eq!(image_degree(&polynomial_image(k, &mut rng), 40), k);
            }
        }
        let noise = noise(50, 8);
        assert_eq!(degree_histogram(&noise), [0, 0, 0, 0, 0, 50]);
        // A quintic row is beyond the last degree.
        let quintic: Vec<f32> = (0..40).map(|x| (x as f32 / 20.0 - 1.0).powi(5)).collect();
        assert_eq!(image_degree(&quintic, 40), FIT_DEGREE + 1);
        // All zero is flat; a NaN is in the last bin.
        assert_eq!(image_degree(&[0.0; 1600], 40), 0);
        let mut nan = polynomial_image(2, &mut rng);
        nan[5] = f32::NAN;
        assert_eq!(image_degree(&nan, 40), FIT_DEGREE + 1);
    }

    #[test]
    fn the_real_images_spread_over_the_low_degrees() {
        let histogram = degree_histogram(&generate(1000, 3));
        assert_eq!(histogram.iter().sum::<u32>(), 1000);
        // Degrees are drawn uniformly, but at x/40 in [0, 1) the top powers hide in the lower
        // ones (see DEGREE_TOLERANCE): degree 0 is exact, higher ones shift down, 4 is rare.
        assert!((150..250).contains(&histogram[0]), "{histogram:?}");
        for (d, &n) in histogram.iter().enumerate().take(4).skip(1) {
            assert!(n > 50, "degree {d}: {histogram:?}");
        }
        assert!(histogram[FIT_DEGREE] < 50, "{histogram:?}");
        assert_eq!(histogram[FIT_DEGREE + 1], 0, "{histogram:?}");
    }

    #[test]
    fn total_variation_of_histograms() {
        assert_eq!(total_variation(&[3, 0, 5], &[3, 0, 5]), Some(0.0));
        assert_eq!(total_variation(&[3, 0, 5], &[6, 0, 10]), Some(0.0));
        assert_eq!(total_variation(&[3, 0, 0], &[0, 2, 7]), Some(1.0));
        assert_eq!(total_variation(&[1, 1], &[2, 0]), Some(0.5));
        assert_eq!(total_variation(&[0, 0], &[2, 0]), None);
        assert_eq!(total_variation(&[1], &[2, 0]), None);
    }
}
