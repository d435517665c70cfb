//! Divergence: a loss that is no longer a number, or that has exploded, pauses training so
//! that the page can offer to roll back to the last good state with a lower learning rate.

/// A loss beyond this many times the run's first loss (or beyond this many units when that
/// was under 1 in size) has exploded. Losses that are merely high, as a GAN's swing or a bad
/// learning rate's plateau, stay far below it.
pub const EXPLOSION: f32 = 1000.0;

/// Where a run diverged: the first bad loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    pub step: u64,
    pub value: f32,
    /// What happened, for the page: "the loss became NaN at step 812".
    pub message: String,
}

/// Watches the losses a trainer reads back.
#[derive(Debug, Clone, Default)]
pub struct DivergenceGuard {
    /// The size of the run's first finite loss, at least 1: what "exploded" is measured by.
    scale: Option<f32>,
}

impl DivergenceGuard {
    /// The first divergence among the losses of the steps from `first_step`: `series` holds
    /// one value per step each (the total loss; a GAN's critic and generator losses).
    pub fn check(&mut self, first_step: u64, series: &[&[f32]]) -> Option<Divergence> {
        let steps = series.iter().map(|s| s.len()).max().unwrap_or(0);
        for i in 0..steps {
            for &value in series.iter().filter_map(|s| s.get(i)) {
                let step = first_step + i as u64;
                if !value.is_finite() {
                    let message = format!("the loss became {value} at step {step}");
                    return Some(Divergence { step, value, message });
                }
                let scale = *self.scale.get_or_insert(value.abs().max(1.0));
                if value.abs() > EXPLOSION * scale {
                    let message = format!("the loss exploded to {value:.3e} at step {step}, over {EXPLOSION} times its first size");
                    return Some(Divergence { step, value, message });
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_infinity_and_explosions_are_caught_at_their_step() {
        let mut guard = DivergenceGuard::default();
        assert_eq!(guard.check(1, &[&[2.5, 2.0, 1.0], &[0.7, 0.9, 0.8]]), None);
        // Noisy but bounded GAN losses are no divergence.
        assert_eq!(guard.check(4, &[&[-40.0, 300.0], &[2000.0, -7.0]]), None);
        let nan = guard.check(6, &[&[1.0, f32::NAN], &[1.0, 1.0]]).unwrap();
        assert_eq!((nan.step, nan.message.as_str()), (7, "the loss became NaN at step 7"));
        assert_eq!(guard.check(9, &[&[f32::INFINITY]]).unwrap().step, 9);
        // 2.5 was the first loss: 2,500 is the limit.
        assert_eq!(guard.check(10, &[&[2400.0, 2600.0]]).unwrap().step, 11);
        // A first loss under 1 still allows 1,000.
        let mut small = DivergenceGuard::default();
        assert_eq!(small.check(1, &[&[0.01, 900.0]]), None);
        assert!(small.check(3, &[&[1200.0]]).unwrap().message.contains("exploded"));
    }
}
