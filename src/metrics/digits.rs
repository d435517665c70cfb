//! Meters of the MNIST DCGAN: what the frozen judge (model::judge) makes of the samples,
//! and the Frechet distance between its features of generated and real digits.

/// A digit counts as covered when at least this share of the samples is labelled with it: a
/// quarter of its fair share, so that a few stray labels do not count as a mode.
pub const COVERED_SHARE: f64 = 0.025;

/// What the judge makes of a set of images.
#[derive(Debug, Clone, PartialEq)]
pub struct DigitReport {
    /// Mean over images of the top class's probability.
    pub confidence: f64,
    /// How many images the judge labels as each digit.
    pub histogram: [u32; 10],
    /// Digits given at least [`COVERED_SHARE`] of the images.
    pub covered: usize,
}

impl DigitReport {
    /// From softmax probabilities, 10 per image. Rows holding NaN count as no digit.
    pub fn from_probabilities(probabilities: &[f32]) -> Self {
        let mut histogram = [0u32; 10];
        let mut confidence = 0.0;
        let rows = probabilities.len() / 10;
        for row in probabilities.chunks_exact(10) {
            let (digit, p) =
                row.iter().enumerate().fold((usize::MAX, f32::NEG_INFINITY), |best, (i, &p)| if p > best.1 { (i, p) } else { best });
            if digit < 10 {
                histogram[digit] += 1;
                confidence += f64::from(p);
            }
        }
        let covered = histogram.iter().filter(|&&n| rows > 0 && f64::from(n) >= COVERED_SHARE * rows as f64).count();
        DigitReport { confidence: confidence / rows.max(1) as f64, histogram, covered }
    }
}

/// Mean and covariance of feature vectors: what the Frechet distance compares.
#[derive(Debug, Clone)]
pub struct Gaussian {
    mean: Vec<f64>,
    /// Row-major dim x dim, normalised by n - 1.
    covariance: Vec<f64>,
}

impl Gaussian {
    /// Fits `features`, `dim` values per sample. None with fewer than two samples or a value
    /// that is not finite.
    pub fn fit(features: &[f32], dim: usize) -> Option<Self> {
        let n = features.len() / dim.max(1);
        if n < 2 || features.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let mut mean = vec![0.0; dim];
        for row in features.chunks_exact(dim) {
            mean.iter_mut().zip(row).for_each(|(m, &v)| *m += f64::from(v) / n as f64);
        }
        let mut covariance = vec![0.0; dim * dim];
        for row in features.chunks_exact(dim) {
            let centred: Vec<f64> = row.iter().zip(&mean).map(|(&v, m)| f64::from(v) - m).collect();
            for (i, a) in centred.iter().enumerate() {
                for (j, b) in centred.iter().enumerate().skip(i) {
                    covariance[i * dim + j] += a * b / (n - 1) as f64;
                }
            }
        }
        for i in 0..dim {
            for j in 0..i {
                covariance[i * dim + j] = covariance[j * dim + i];
            }
        }
        Some(Gaussian { mean, covariance })
    }

    fn dim(&self) -> usize {
        self.mean.len()
    }
}

/// The Frechet distance between two Gaussians (as in FID):
/// |m1 - m2|^2 + tr(C1) + tr(C2) - 2 tr((C1^1/2 C2 C1^1/2)^1/2), the middle matrix being
/// symmetric so that both square roots come from symmetric eigendecompositions.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    let d = a.dim();
    assert_eq!(d, b.dim(), "Frechet distance between features of different widths");
    let means: f64 = a.mean.iter().zip(&b.mean).map(|(x, y)| (x - y).powi(2)).sum();
    let trace = |c: &[f64]| (0..d).map(|i| c[i * d + i]).sum::<f64>();
    let (values, vectors) = symmetric_eigen(a.covariance.clone(), d);
    // root = V diag(sqrt(max(lambda, 0))) V^T
    let mut root = vec![0.0; d * d];
    for (k, &lambda) in values.iter().enumerate() {
        let s = lambda.max(0.0).sqrt();
        for i in 0..d {
            for j in 0..d {
                root[i * d + j] += s * vectors[i * d + k] * vectors[j * d + k];
            }
        }
    }
    let middle = matmul(&matmul(&root, &b.covariance, d), &root, d);
    let (middle_values, _) = symmetric_eigen(middle, d);
    let cross: f64 = middle_values.iter().map(|v| v.max(0.0).sqrt()).sum();
    (means + trace(&a.covariance) + trace(&b.covariance) - 2.0 * cross).max(0.0)
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut out = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                out[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (column k of the row-major result) of a symmetric d x d
/// matrix, by cyclic Jacobi rotations: slow in theory, exact enough and a few milliseconds
/// at the judge's 64 features, with no linear-algebra crate for one small matrix.
fn symmetric_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v: Vec<f64> = (0..d * d).map(|i| f64::from(u8::from(i / d == i % d))).collect();
    let scale: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..d).flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * d + j].powi(2)).sum();
        if off.sqrt() <= 1e-14 * scale.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a[p][q] (Golub & Van Loan, the stable form).
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SplitMix64;

    #[test]
    fn digit_report_counts_labels_and_coverage() {
        // 40 images: 39 confident threes and one unsure seven.
        let mut probabilities = Vec::new();
        for _ in 0..39 {
            probabilities.extend((0..10).map(|d| if d == 3 { 0.91 } else { 0.01 }));
        }
        probabilities.extend((0..10).map(|d| if d == 7 { 0.3 } else { 0.7 / 9.0 }));
        let report = DigitReport::from_probabilities(&probabilities);
        assert_eq!(report.histogram[3], 39);
        assert_eq!(report.histogram[7], 1);
        assert!((report.confidence - (39.0 * 0.91 + 0.3) / 40.0).abs() < 1e-6);
        // 1 of 40 is 2.5 %: exactly the threshold.
        assert_eq!(report.covered, 2);
        let nan = DigitReport::from_probabilities(&[f32::NAN; 10]);
        assert_eq!((nan.histogram, nan.covered), ([0; 10], 0));
    }

    #[test]
    fn eigen_decomposition_rebuilds_the_matrix() {
        let mut rng = SplitMix64::new(5);
        let d = 12;
        let m: Vec<f64> = (0..d * d).map(|_| rng.normal()).collect();
        let sym: Vec<f64> = (0..d * d).map(|i| m[i] + m[(i % d) * d + i / d]).collect();
        let (values, vectors) = symmetric_eigen(sym.clone(), d);
        for i in 0..d {
            for j in 0..d {
                let rebuilt: f64 = (0..d).map(|k| values[k] * vectors[i * d + k] * vectors[j * d + k]).sum();
                assert!((rebuilt - sym[i * d + j]).abs() < 1e-9, "{i} {j}");
            }
        }
    }

    #[test]
    fn frechet_distance_of_known_gaussians() {
        // Diagonal covariances: the distance is |m1 - m2|^2 + sum (s1 - s2)^2 over std devs.
        let a = Gaussian { mean: vec![0.0, 1.0], covariance: vec![4.0, 0.0, 0.0, 1.0] };
        let b = Gaussian { mean: vec![3.0, 1.0], covariance: vec![1.0, 0.0, 0.0, 9.0] };
        let expected = 9.0 + (2.0f64 - 1.0).powi(2) + (1.0f64 - 3.0).powi(2);
        assert!((frechet_distance(&a, &b) - expected).abs() < 1e-9);
        assert!((frechet_distance(&b, &a) - expected).abs() < 1e-9);
        // Samples of one distribution are close; a shifted one is far.
        let mut rng = SplitMix64::new(6);
        let mut sample = |shift: f64| -> Vec<f32> { (0..2000 * 4).map(|_| (rng.normal() + shift) as f32).collect() };
        let (x, y, z) =
            (Gaussian::fit(&sample(0.0), 4).unwrap(), Gaussian::fit(&sample(0.0), 4).unwrap(), Gaussian::fit(&sample(1.0), 4).unwrap());
        assert!(frechet_distance(&x, &y) < 0.05);
        assert!((frechet_distance(&x, &z) - 4.0).abs() < 0.3);
        assert!(Gaussian::fit(&[1.0, 2.0], 2).is_none());
        assert!(Gaussian::fit(&[1.0, f32::NAN, 0.0, 0.0], 2).is_none());
    }
}
