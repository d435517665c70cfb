//! NumPy's .npy format, for stacks of one-channel images: the reference stores its polynomial
//! images as a float64 array of shape (count, height, width). Format: the magic "\x93NUMPY",
//! a version, a little-endian header length, a header that is a Python dict literal
//! (`{'descr': '<f8', 'fortran_order': False, 'shape': (2, 40, 40), }`), then the raw data.

use thiserror::Error;

const MAGIC: &[u8] = b"\x93NUMPY";

/// Arrays of more values than this (1 GiB of f32) are refused before anything is allocated:
/// the polynomial images are 32 million values, and a tab cannot hold much more.
pub const MAX_VALUES: u128 = 1 << 28;

/// What is wrong with a .npy file or with the parts of an [`Images`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NpyError {
    #[error("not a .npy file: it does not start with \\x93NUMPY")]
    BadMagic,
    #[error("the file is {len} bytes long, but its .npy header needs {needed}")]
    TruncatedHeader { len: usize, needed: usize },
    #[error(".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)")]
    UnsupportedVersion { major: u8, minor: u8 },
    #[error("the .npy header cannot be parsed: {0}")]
    BadHeader(String),
    #[error("dtype '{0}' is not supported: save the array as float64 ('<f8'), float32 ('<f4') or uint8 ('|u1')")]
    UnsupportedDtype(String),
    #[error("the array is in Fortran order: save it in C order (np.ascontiguousarray)")]
    FortranOrder,
    #[error("the shape is {0:?}, but images must be (count, height, width) or (count, height, width, 1)")]
    WrongShape(Vec<u64>),
    #[error("images of {height}x{width} pixels hold nothing: height and width must be at least 1")]
    EmptyImage { height: u64, width: u64 },
    #[error("the shape {shape:?} holds more than {MAX_VALUES} values")]
    TooLarge { shape: Vec<u64> },
    #[error("the header promises {expected} bytes of data but the file holds {actual} (the file is truncated or has trailing bytes)")]
    SizeMismatch { expected: u128, actual: u128 },
    /// A NaN or infinity (also a float64 beyond the f32 range) would poison training silently.
    #[error("value {index} is NaN, infinite or beyond the float32 range")]
    NonFinite { index: usize },
    #[error("{pixels} pixel values do not make {count} images of {height}x{width}")]
    PixelCount { count: usize, height: usize, width: usize, pixels: usize },
}

/// A stack of one-channel images, C order (image, row, column). The fields are private (to
/// this module and the generators beside it) so that every `Images` keeps its invariant:
/// height and width at least 1 and exactly count * height * width pixels; slicing images out
/// of it can then never fail. A count of 0 (an empty stack) is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub(super) count: usize,
    pub(super) height: usize,
    pub(super) width: usize,
    pub(super) pixels: Vec<f32>,
}

impl Images {
    pub fn new(count: usize, height: usize, width: usize, pixels: Vec<f32>) -> Result<Self, NpyError> {
        if height == 0 || width == 0 {
            return Err(NpyError::EmptyImage { height: height as u64, width: width as u64 });
        }
        if height.checked_mul(width).and_then(|hw| hw.checked_mul(count)) != Some(pixels.len()) {
            return Err(NpyError::PixelCount { count, height, width, pixels: pixels.len() });
        }
        Ok(Self { count, height, width, pixels })
    }

    pub fn count(&self) -> usize {
        self.count
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn pixels(&self) -> &[f32] {
        &self.pixels
    }

    /// The pixels without a copy (the polynomial set is 128 MB of f32).
    pub fn into_pixels(self) -> Vec<f32> {
        self.pixels
    }

    /// The images at `indices`, in that order; indices past the end are skipped.
    pub fn select(&self, indices: &[usize]) -> Images {
        let per_image = self.height * self.width;
        let mut pixels = Vec::with_capacity(indices.len() * per_image);
        let mut count = 0;
        for image in indices.iter().filter_map(|&i| self.iter().nth(i)) {
            pixels.extend_from_slice(image);
            count += 1;
        }
        Images { count, height: self.height, width: self.width, pixels }
    }

    /// Each image as `height * width` pixels.
    pub fn iter(&self) -> std::slice::ChunksExact<'_, f32> {
        self.pixels.chunks_exact(self.height * self.width)
    }
}

/// Element type of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dtype {
    U8,
    F32,
    F64,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }
}

/// Parses a .npy file of little-endian float32, float64 or uint8 in C order, shape (N, H, W)
/// or (N, H, W, 1); float64 is rounded to f32, uint8 kept as 0-255. Every value must be
/// finite. Says which type the file held.
pub fn read(bytes: &[u8]) -> Result<(Images, Dtype), NpyError> {
    let rest = bytes.strip_prefix(MAGIC).ok_or(NpyError::BadMagic)?;
    let truncated = |needed| NpyError::TruncatedHeader { len: bytes.len(), needed };
    let (&major, &minor) = (rest.first().ok_or(truncated(8))?, rest.get(1).ok_or(truncated(8))?);
    // Version 1 has a u16 header length, versions 2 and 3 (3: UTF-8 header) a u32.
    let (header_start, header_len) = match (major, minor) {
        (1, 0) => (10, rest.get(2..4).and_then(|b| b.try_into().ok()).map(|b| u16::from_le_bytes(b) as usize)),
        (2 | 3, 0) => (12, rest.get(2..6).and_then(|b| b.try_into().ok()).map(|b| u32::from_le_bytes(b) as usize)),
        _ => return Err(NpyError::UnsupportedVersion { major, minor }),
    };
    let header_len = header_len.ok_or(truncated(header_start))?;
    let (header, data) = bytes
        .get(header_start..)
        .and_then(|rest| rest.split_at_checked(header_len))
        .ok_or(truncated(header_start.saturating_add(header_len)))?;
    let Header { descr, fortran_order, shape } = parse_header(header)?;

    let dtype = match descr.as_str() {
        "<f4" => Dtype::F32,
        "<f8" => Dtype::F64,
        "|u1" | "<u1" => Dtype::U8,
        _ => return Err(NpyError::UnsupportedDtype(descr)),
    };
    let size = dtype.size();
    if fortran_order {
        return Err(NpyError::FortranOrder);
    }
    let (count, height, width) = match shape[..] {
        [n, h, w] | [n, h, w, 1] => (n, h, w),
        _ => return Err(NpyError::WrongShape(shape)),
    };
    if height == 0 || width == 0 {
        return Err(NpyError::EmptyImage { height, width });
    }
    // Checked u128 so that a hostile shape cannot overflow; the cap comes before any allocation.
    let values = [count, height, width].iter().try_fold(1u128, |acc, &d| acc.checked_mul(d.into()));
    let Some(values) = values.filter(|&v| v <= MAX_VALUES) else {
        return Err(NpyError::TooLarge { shape });
    };
    if values * size as u128 != data.len() as u128 {
        return Err(NpyError::SizeMismatch { expected: values * size as u128, actual: data.len() as u128 });
    }
    let pixels: Vec<f32> = match dtype {
        Dtype::U8 => data.iter().map(|&b| f32::from(b)).collect(),
        Dtype::F32 => data.as_chunks::<4>().0.iter().map(|&b| f32::from_le_bytes(b)).collect(),
        Dtype::F64 => data.as_chunks::<8>().0.iter().map(|&b| f64::from_le_bytes(b) as f32).collect(),
    };
    if let Some(index) = pixels.iter().position(|v| !v.is_finite()) {
        return Err(NpyError::NonFinite { index });
    }
    // Below MAX_VALUES, so these fit a usize even on wasm32.
    Ok((Images::new(count as usize, height as usize, width as usize, pixels)?, dtype))
}

/// A version 1.0 .npy file of shape (count, height, width), laid out as numpy writes it: the
/// header padded with spaces and a final '\n' so that the data starts at a multiple of 64.
pub fn write(images: &Images, dtype: Dtype) -> Vec<u8> {
    let descr = match dtype {
        Dtype::U8 => "|u1",
        Dtype::F32 => "<f4",
        Dtype::F64 => "<f8",
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': ({}, {}, {}), }}", images.count, images.height, images.width);
    let unpadded = MAGIC.len() + 4 + header.len() + 1;
    header.extend(std::iter::repeat_n(' ', unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + images.pixels.len() * dtype.size());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    // Three integers and fixed text: far below the u16 limit of version 1.0.
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for &p in &images.pixels {
        match dtype {
            // Saturating: a uint8 file holds 0-255.
            Dtype::U8 => out.push(p.round() as u8),
            Dtype::F32 => out.extend_from_slice(&p.to_le_bytes()),
            Dtype::F64 => out.extend_from_slice(&f64::from(p).to_le_bytes()),
        }
    }
    out
}

struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<u64>,
}

enum Value {
    Str(String),
    Bool(bool),
    Tuple(Vec<u64>),
}

/// Parses the header dict: exactly the keys descr (a string), fortran_order (a bool) and shape
/// (a tuple of ints), in the subset of Python literal syntax that numpy writes (either quote,
/// optional trailing commas, Python 2's `40L`), followed by padding whitespace only.
fn parse_header(text: &[u8]) -> Result<Header, NpyError> {
    let mut p = Parser { text, pos: 0 };
    let (mut descr, mut fortran_order, mut shape) = (None, None, None);
    p.expect(b'{')?;
    while !p.eat(b'}') {
        let key = p.string()?;
        p.expect(b':')?;
        let value = p.value()?;
        let duplicate = match (key.as_str(), value) {
            ("descr", Value::Str(s)) => descr.replace(s).is_some(),
            ("fortran_order", Value::Bool(b)) => fortran_order.replace(b).is_some(),
            ("shape", Value::Tuple(t)) => shape.replace(t).is_some(),
            ("descr" | "fortran_order" | "shape", _) => return Err(bad(format!("'{key}' has the wrong type"))),
            _ => return Err(bad(format!("unexpected key '{key}'"))),
        };
        if duplicate {
            return Err(bad(format!("key '{key}' appears twice")));
        }
        if !p.eat(b',') {
            p.expect(b'}')?;
            break;
        }
    }
    p.skip_space();
    if p.pos != text.len() {
        return Err(bad(format!("unexpected text after the dict at byte {}", p.pos)));
    }
    let missing = |key: &str| bad(format!("the key '{key}' is missing"));
    Ok(Header {
        descr: descr.ok_or_else(|| missing("descr"))?,
        fortran_order: fortran_order.ok_or_else(|| missing("fortran_order"))?,
        shape: shape.ok_or_else(|| missing("shape"))?,
    })
}

fn bad(message: String) -> NpyError {
    NpyError::BadHeader(message)
}

struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &[u8] {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn skip_space(&mut self) {
        self.pos += self.rest().iter().take_while(|c| c.is_ascii_whitespace()).count();
    }

    /// Skips whitespace, then consumes `c` if it comes next.
    fn eat(&mut self, c: u8) -> bool {
        self.skip_space();
        let found = self.rest().first() == Some(&c);
        self.pos += usize::from(found);
        found
    }

    fn expect(&mut self, c: u8) -> Result<(), NpyError> {
        if self.eat(c) { Ok(()) } else { Err(bad(format!("expected '{}' at byte {}", c as char, self.pos))) }
    }

    fn value(&mut self) -> Result<Value, NpyError> {
        self.skip_space();
        for (word, b) in [(&b"True"[..], true), (b"False", false)] {
            if self.rest().starts_with(word) {
                self.pos += word.len();
                return Ok(Value::Bool(b));
            }
        }
        if self.eat(b'(') {
            let mut dims = Vec::new();
            while !self.eat(b')') {
                dims.push(self.int()?);
                if !self.eat(b',') {
                    self.expect(b')')?;
                    break;
                }
            }
            return Ok(Value::Tuple(dims));
        }
        self.string().map(Value::Str)
    }

    /// A string in single or double quotes, without escapes (numpy's keys and dtypes have none).
    fn string(&mut self) -> Result<String, NpyError> {
        self.skip_space();
        let start = self.pos;
        let (quote, body) = match self.rest() {
            [q @ (b'\'' | b'"'), body @ ..] => (*q, body),
            _ => return Err(bad(format!("expected a string, True, False or a tuple at byte {start}"))),
        };
        let (text, _) = body
            .iter()
            .position(|&c| c == quote || c == b'\\')
            .and_then(|n| body.split_at_checked(n))
            .filter(|(_, end)| end.first() == Some(&quote))
            .ok_or_else(|| bad(format!("unterminated or escaped string at byte {start}")))?;
        let (len, text) = (text.len(), String::from_utf8_lossy(text).into_owned());
        self.pos += len + 2;
        Ok(text)
    }

    /// A non-negative integer; one past u64 saturates, to be refused as too large with the shape.
    fn int(&mut self) -> Result<u64, NpyError> {
        self.skip_space();
        let digits = self.rest().iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(bad(format!("expected a non-negative integer at byte {}", self.pos)));
        }
        let digit = |d: &u8| u64::from(d - b'0');
        let n = self.rest().iter().take(digits).fold(0u64, |n, d| n.saturating_mul(10).saturating_add(digit(d)));
        self.pos += digits;
        self.pos += usize::from(self.rest().first() == Some(&b'L'));
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
