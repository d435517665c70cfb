//! Model outputs -> pixels. Shared by every consumer (the web Session, tests, a CLI) so that
//! an image looks the same wherever it is drawn.

/// Grey values in [0, 1] (one per pixel) -> opaque RGBA bytes, white digit on black as in
/// MNIST. Values outside [0, 1] (or NaN from a diverged model) are clamped, never wrapped.
pub fn gray_to_rgba(values: &[f32]) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8; // NaN clamps to NaN, which casts to 0
        rgba.extend_from_slice(&[g, g, g, 255]);
    }
    rgba
}

/// u8 grey pixels -> opaque RGBA bytes.
pub fn bytes_to_rgba(pixels: &[u8]) -> Vec<u8> {
    pixels.iter().flat_map(|&g| [g, g, g, 255]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_scales() {
        assert_eq!(gray_to_rgba(&[0.0, 1.0, 2.0, -1.0, f32::NAN]), vec![
            0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255
        ]);
        assert_eq!(bytes_to_rgba(&[7]), vec![7, 7, 7, 255]);
    }
}
