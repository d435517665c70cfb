//! Dropout whose keep-masks are drawn on the host when the tensors live there.
//!
//! burn's `Dropout` draws its Bernoulli mask through burn-std's `TensorData::random`, one
//! ChaCha draw and a float comparison per element: ~30 ns an element natively, and a fifth of
//! the live WGAN's step in the page (its critic drops four feature maps in each of eleven
//! passes a step). On the CPU backends a SplitMix64 stream gives four 16-bit draws per 64-bit
//! word instead. On a GPU burn's random kernel stays: uploading a mask would cost more than
//! drawing it where it is used.
//!
//! The stream is reseeded by [`seed`] at every training step, next to burn's own RNG, so a
//! resumed run drops the same units as the uninterrupted one.

use std::cell::RefCell;

use burn::nn::Dropout;
use burn::prelude::*;

use crate::backend;
use crate::data::SplitMix64;

thread_local! {
    static MASKS: RefCell<SplitMix64> = RefCell::new(SplitMix64::new(0));
}

/// Restarts the host mask stream (per thread, like the step it belongs to).
pub fn seed(seed: u64) {
    MASKS.with(|masks| *masks.borrow_mut() = SplitMix64::new(seed));
}

/// `layer`'s forward pass: in training (an autodiff device and the layer not frozen) each
/// element is zeroed with probability `layer.prob` and the kept ones scaled by 1 / (1 - prob);
/// otherwise the input as it is. The drop probability is resolved to 1/65,536 on the host.
pub fn dropout<const D: usize>(layer: &Dropout, input: Tensor<D>) -> Tensor<D> {
    let device = input.device();
    if !backend::is_host(&device) {
        return layer.forward(input);
    }
    if !device.is_autodiff() || !layer.training.is_enabled() || layer.prob == 0.0 {
        return input;
    }
    let shape = input.shape();
    let n = shape.num_elements();
    let threshold = (layer.prob * 65_536.0).round() as u64;
    let scale = (1.0 / (1.0 - layer.prob)) as f32;
    let mut mask = vec![scale; n.next_multiple_of(4)];
    MASKS.with(|masks| {
        let mut rng = masks.borrow_mut();
        for four in mask.chunks_exact_mut(4) {
            let word = rng.next_u64();
            for (lane, value) in four.iter_mut().enumerate() {
                if (word >> (16 * lane)) & 0xffff < threshold {
                    *value = 0.0;
                }
            }
        }
    });
    mask.truncate(n);
    input * Tensor::from_data(TensorData::new(mask, shape), &device)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::DropoutConfig;

    #[test]
    fn drops_a_quarter_scales_the_rest_and_repeats_for_a_seed() {
        let device = backend::cpu(backend::BackendKind::Flex, "test").device.autodiff();
        let layer = DropoutConfig::new(0.25).init();
        let ones = Tensor::<2>::ones([100, 1000], &device);
        let draw = |seed| {
            super::seed(seed);
            dropout(&layer, ones.clone()).into_data().try_to_vec::<f32>().unwrap()
        };
        let values = draw(7);
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64 / values.len() as f64;
        assert!((dropped - 0.25).abs() < 0.005, "dropped {dropped}");
        assert!(values.iter().all(|&v| v == 0.0 || (v - 4.0 / 3.0).abs() < 1e-6));
        assert_eq!(values, draw(7));
        assert_ne!(values, draw(8));
        // Outside training (no autodiff) nothing is dropped.
        let plain = dropout(&layer, Tensor::<2>::ones([4, 4], &device.without_autodiff()));
        assert_eq!(plain.into_data().try_to_vec::<f32>().unwrap(), vec![1.0; 16]);
    }
}
