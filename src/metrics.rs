//! Quality meters for generators of polynomial images, cheap enough for the browser to run on
//! a few hundred samples every few seconds: smoothness (do the rows look like polynomials?)
//! and diversity (are the samples as different from each other as real images are?).

use crate::data::npy::Images;

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
            let explained: f64 =
                basis.chunks_exact(width).map(|q| q.iter().zip(centred()).map(|(q, v)| q * v).sum::<f64>().powi(2)).sum();
            sum += ((total - explained) / total).clamp(0.0, 1.0);
            rows += 1;
        }
    }
    (rows > 0).then(|| sum / rows as f64)
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
}
