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

impl EpochCursor {
    pub fn new(len: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let mut order: Vec<usize> = (0..len).collect();
        rng.shuffle(&mut order);
        Self { order, pos: 0, epoch: 0, rng }
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
        let sizes: Vec<usize> = (0..3).map(|_| {
            let b = c.next_batch(4);
            seen.extend(&b);
            b.len()
        }).collect();
        assert_eq!(sizes, vec![4, 4, 2]);
        assert_eq!(c.epoch(), 1);
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        assert_eq!(c.next_batch(4).len(), 4);
        assert_eq!(c.epoch(), 1);
    }

    #[test]
    fn same_seed_same_order() {
        let a: Vec<_> = (0..5).map({ let mut c = EpochCursor::new(100, 3); move |_| c.next_batch(7) }).collect();
        let b: Vec<_> = (0..5).map({ let mut c = EpochCursor::new(100, 3); move |_| c.next_batch(7) }).collect();
        assert_eq!(a, b);
    }
}
