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

/// Signed values -> opaque RGBA bytes on a diverging scale: 0 is the page's dark background,
/// +`scale` a warm orange, -`scale` a cool blue, so that a polynomial image reads like a
/// contour plot. Values beyond the scale (or NaN) are clamped (NaN to 0).
pub fn signed_to_rgba(values: &[f32], scale: f32) -> Vec<u8> {
    const ZERO: [f32; 3] = [22.0, 26.0, 36.0];
    const POSITIVE: [f32; 3] = [255.0, 168.0, 64.0];
    const NEGATIVE: [f32; 3] = [72.0, 164.0, 255.0];
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let t = if v.is_nan() { 0.0 } else { (v / scale).clamp(-1.0, 1.0) };
        let (end, t) = if t >= 0.0 { (POSITIVE, t) } else { (NEGATIVE, -t) };
        let c = |i: usize| (ZERO[i] + (end[i] - ZERO[i]) * t).round() as u8;
        rgba.extend_from_slice(&[c(0), c(1), c(2), 255]);
    }
    rgba
}

/// Values of a tanh output, in [-1, 1], as grey values in [0, 1].
pub fn tanh_to_unit(values: &[f32]) -> Vec<f32> {
    values.iter().map(|v| (v + 1.0) / 2.0).collect()
}

/// u8 grey pixels -> opaque RGBA bytes.
pub fn bytes_to_rgba(pixels: &[u8]) -> Vec<u8> {
    pixels.iter().flat_map(|&g| [g, g, g, 255]).collect()
}

/// `n * n` square images of `side * side` grey values (row-major, concatenated) -> one image
/// of `n * side` pixels per side, image k at row k / n, column k % n.
pub fn tile(images: &[f32], n: usize, side: usize) -> Vec<f32> {
    let width = n * side;
    let mut out = vec![0.0; width * width];
    for (k, image) in images.chunks_exact(side * side).take(n * n).enumerate() {
        let (row, col) = (k / n, k % n);
        for y in 0..side {
            let start = (row * side + y) * width + col * side;
            out[start..start + side].copy_from_slice(&image[y * side..(y + 1) * side]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_and_scales() {
        assert_eq!(
            gray_to_rgba(&[0.0, 1.0, 2.0, -1.0, f32::NAN]),
            vec![0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        );
        assert_eq!(bytes_to_rgba(&[7]), vec![7, 7, 7, 255]);
    }

    #[test]
    fn diverging_scale_ends_and_centre() {
        let rgba = signed_to_rgba(&[0.0, 0.5, -0.5, 9.0, f32::NAN], 0.5);
        assert_eq!(&rgba[0..4], &[22, 26, 36, 255]);
        assert_eq!(&rgba[4..8], &[255, 168, 64, 255]);
        assert_eq!(&rgba[8..12], &[72, 164, 255, 255]);
        assert_eq!(&rgba[12..16], &rgba[4..8]);
        assert_eq!(&rgba[16..20], &rgba[0..4]);
    }

    #[test]
    fn tiles_row_major() {
        // Four 2x2 images of the constants 0..4 in a 2x2 grid.
        let images: Vec<f32> = (0..4).flat_map(|k| [k as f32; 4]).collect();
        let t = tile(&images, 2, 2);
        assert_eq!(
            t,
            vec![
                0.0, 0.0, 1.0, 1.0, //
                0.0, 0.0, 1.0, 1.0, //
                2.0, 2.0, 3.0, 3.0, //
                2.0, 2.0, 3.0, 3.0,
            ]
        );
    }
}
