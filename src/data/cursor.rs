//! Shuffled epochs over a dataset, reproducible from a seed on every platform.

/// SplitMix64: a tiny, well-mixed 64-bit generator. Used for shuffling so that a seed gives
/// the same order natively and in wasm, independently of any backend's RNG.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is negligible for dataset sizes.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }

    /// Uniform in [0, 1) from the top 53 bits, so every value is an exact multiple of 2^-53.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal by Marsaglia's polar form of Box-Muller (the second value of each pair
    /// is dropped, so the generator holds no state besides the seed). It uses only + - * / and
    /// sqrt, which IEEE 754 rounds the same everywhere, and [`ln_unit`] instead of the
    /// platform's libm `ln`: a seed gives bit-identical values natively and in wasm.
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                return u * (-2.0 * ln_unit(s) / s).sqrt();
            }
        }
    }
}

/// Natural logarithm for x in (0, 1) (normal floats only), from arithmetic alone. x = m 2^e
/// with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s) with s = (m-1)/(m+1), |s| < 0.172, whose
/// odd series reaches f64 precision in 12 terms.
fn ln_unit(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = (0..12).rev().fold(0.0, |acc, k| acc * s2 + 1.0 / f64::from(2 * k + 1));
    f64::from(e) * std::f64::consts::LN_2 + 2.0 * s * series
}

/// Up to `n` distinct indices below `len`, in an order fixed by `seed`: the fixed samples
/// the meters and views look at.
pub fn random_indices(len: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    order.truncate(n);
    order
}

/// Walks a dataset in shuffled epochs. Like Keras' `fit(shuffle=True)`, an epoch ends with
/// a partial batch rather than dropping the remainder (60,000 / 256 gives 235 steps).
#[derive(Debug, Clone)]
pub struct EpochCursor {
    order: Vec<usize>,
    pos: usize,
    epoch: u64,
    rng: SplitMix64,
}

/// Where an [`EpochCursor`] stands, all a checkpoint needs to rebuild it: the order of an
/// epoch follows from the seed and how many shuffles came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct CursorState {
    /// Reshuffles since the first order (the epochs started after the first).
    pub epoch: u64,
    /// Indices of the current order already handed out.
    pub pos: u64,
}

impl EpochCursor {
    pub fn new(len: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut order: Vec<usize> = (0..len).collect();
        rng.shuffle(&mut order);
        Self { order, pos: 0, epoch: 0, rng }
    }

    /// The cursor of `len` indices and `seed` that handed out what `state` says: the same
    /// batches follow as from the cursor `state` was taken from. Replays the shuffles (a
    /// millisecond each for MNIST). None when `state` cannot come from such a cursor.
    pub fn resume(len: usize, seed: u64, state: CursorState) -> Option<Self> {
        let pos = usize::try_from(state.pos).ok().filter(|&p| p <= len)?;
        // Beyond this many epochs the replay would take minutes: not a state we wrote.
        if state.epoch > 100_000_000 / len.max(1) as u64 {
            return None;
        }
        let mut cursor = Self::new(len, seed);
        for _ in 0..state.epoch {
            cursor.rng.shuffle(&mut cursor.order);
        }
        cursor.epoch = state.epoch;
        cursor.pos = pos;
        Some(cursor)
    }

    /// Indices per epoch.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn state(&self) -> CursorState {
        CursorState { epoch: self.epoch, pos: self.pos as u64 }
    }

    /// Indices of the next batch (at most `batch_size`, fewer at the end of an epoch).
    pub fn next_batch(&mut self, batch_size: usize) -> Vec<usize> {
        if self.pos >= self.order.len() {
            self.rng.shuffle(&mut self.order);
            self.pos = 0;
            self.epoch += 1;
        }
        let end = (self.pos + batch_size).min(self.order.len());
        let batch = self.order[self.pos..end].to_vec();
        self.pos = end;
        batch
    }

    /// Completed epochs.
    pub fn epoch(&self) -> u64 {
        self.epoch + u64::from(self.pos >= self.order.len())
    }

    /// Fraction of the current epoch done, in [0, 1).
    pub fn epoch_progress(&self) -> f64 {
        if self.pos >= self.order.len() { 0.0 } else { self.pos as f64 / self.order.len() as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_index_once_per_epoch_with_a_partial_last_batch() {
        let mut c = EpochCursor::new(10, 7);
        let mut seen: Vec<usize> = Vec::new();
        let sizes: Vec<usize> = (0..3)
            .map(|_| {
                let b = c.next_batch(4);
                seen.extend(&b);
                b.len()
            })
            .collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        assert_eq!(c.epoch(), 1);
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(c.next_batch(4).len(), 4);
        assert_eq!(c.epoch(), 1);
    }

    #[test]
    fn ln_unit_matches_std() {
        // Around 1/sqrt(2), where the mantissa range changes, and near both ends.
        let r = std::f64::consts::FRAC_1_SQRT_2;
        for x in [1e-300, 1e-9, 0.1, 0.5, r.next_down(), r, r.next_up(), 0.999999, 1.0f64.next_down()] {
            assert!((ln_unit(x) - x.ln()).abs() <= 4.0 * f64::EPSILON * x.ln().abs().max(1e-16), "{x}");
        }
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut rng = SplitMix64::new(11);
        let n = 200_000;
        let u: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        assert!((u.iter().sum::<f64>() / n as f64 - 0.5).abs() < 0.005);
        let z: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.02, "mean {mean} var {var}");
        // About 4.55% of a standard normal lies beyond two standard deviations.
        let tail = z.iter().filter(|x| x.abs() > 2.0).count() as f64 / n as f64;
        assert!((tail - 0.0455).abs() < 0.003, "{tail}");
    }

    #[test]
    fn a_resumed_cursor_hands_out_the_same_batches() {
        let mut original = EpochCursor::new(10, 5);
        for _ in 0..7 {
            original.next_batch(4); // into the third epoch
        }
        let mut resumed = EpochCursor::resume(10, 5, original.state()).unwrap();
        assert_eq!((resumed.epoch(), resumed.epoch_progress()), (original.epoch(), original.epoch_progress()));
        for _ in 0..6 {
            assert_eq!(resumed.next_batch(4), original.next_batch(4));
        }
        assert!(EpochCursor::resume(10, 5, CursorState { epoch: 0, pos: 11 }).is_none());
        assert!(EpochCursor::resume(10, 5, CursorState { epoch: u64::MAX, pos: 0 }).is_none());
    }

    #[test]
    fn same_seed_same_order() {
        let a: Vec<_> = (0..5)
            .map({
                let mut c = EpochCursor::new(100, 3);
                move |_| c.next_batch(7)
            })
            .collect();
        let b: Vec<_> = (0..5)
            .map({
                let mut c = EpochCursor::new(100, 3);
                move |_| c.next_batch(7)
            })
            .collect();
        assert_eq!(a, b);
    }
}
