//! The IDX format of the MNIST files: a big-endian header (magic number, then one u32 per
//! dimension) followed by the raw u8 data. Gzipped files are accepted too.

use std::io::Read;

use crate::error::IdxError;

/// Magic number of an IDX file of u8 with three dimensions (images: count, rows, cols).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of u8 with one dimension (labels: count).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// Decompressed files larger than this are refused: the MNIST train images are 47 MB, so
/// anything past this is not MNIST and would only exhaust the tab's memory.
pub const MAX_DECOMPRESSED: u64 = 256 << 20;

/// Images of one IDX file, row-major, one byte per pixel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Parses an IDX images file (optionally gzipped).
pub fn parse_images(bytes: &[u8]) -> Result<IdxImages, IdxError> {
    let bytes = maybe_gunzip(bytes)?;
    let (dims, data) = parse(&bytes, IMAGES_MAGIC, "images")?;
    Ok(IdxImages { count: dims[0] as usize, rows: dims[1] as usize, cols: dims[2] as usize, pixels: data.to_vec() })
}

/// Parses an IDX labels file (optionally gzipped); every label must be a digit 0-9.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let bytes = maybe_gunzip(bytes)?;
    let (_, data) = parse(&bytes, LABELS_MAGIC, "labels")?;
    if let Some(index) = data.iter().position(|&l| l > 9) {
        return Err(IdxError::LabelOutOfRange { index, label: data[index] });
    }
    Ok(data.to_vec())
}

fn maybe_gunzip(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, IdxError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes.into());
    }
    Ok(gunzip(bytes)?.into())
}

/// Inflates a gzip stream, refusing anything that grows past [`MAX_DECOMPRESSED`].
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).take(MAX_DECOMPRESSED + 1).read_to_end(&mut out).map_err(|e| {
        IdxError::Gzip(match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the file is truncated (its gzip stream ends early)".into(),
            _ => e.to_string(),
        })
    })?;
    if out.len() as u64 > MAX_DECOMPRESSED {
        return Err(IdxError::TooLarge { limit: MAX_DECOMPRESSED });
    }
    Ok(out)
}

/// Checks the header against `magic` and the data length against the header's dimensions.
fn parse<'a>(bytes: &'a [u8], magic: u32, what: &'static str) -> Result<(Vec<u32>, &'a [u8]), IdxError> {
    if bytes.is_empty() {
        return Err(IdxError::Empty);
    }
    let word = |i: usize| bytes.get(4 * i..4 * i + 4).map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    let found = word(0).ok_or(IdxError::TooShortForHeader { len: bytes.len() })?;
    if found != magic {
        return Err(IdxError::BadMagic { what, found, expected: magic });
    }
    // The magic's low byte is the number of dimensions.
    let ndims = (magic & 0xff) as usize;
    let dims: Vec<u32> = (1..=ndims).map(word).collect::<Option<_>>().ok_or(IdxError::TooShortForHeader { len: bytes.len() })?;
    let header = 4 * (ndims + 1);
    // u128 so that a hostile header (three dimensions of 2^32) cannot overflow the product.
    let expected: u128 = dims.iter().map(|&d| d as u128).product();
    let actual = (bytes.len() - header) as u128;
    if expected != actual {
        return Err(IdxError::SizeMismatch { expected, actual });
    }
    Ok((dims, &bytes[header..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images_file(count: u32, rows: u32, cols: u32, data_len: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for w in [IMAGES_MAGIC, count, rows, cols] {
            v.extend_from_slice(&w.to_be_bytes());
        }
        v.extend((0..data_len).map(|i| i as u8));
        v
    }

    fn labels_file(labels: &[u8]) -> Vec<u8> {
        let mut v = LABELS_MAGIC.to_be_bytes().to_vec();
        v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        v.extend_from_slice(labels);
        v
    }

    #[test]
    fn parses_images_and_labels() {
        let img = parse_images(&images_file(2, 3, 4, 24)).unwrap();
        assert_eq!((img.count, img.rows, img.cols), (2, 3, 4));
        assert_eq!(img.pixels.len(), 24);
        assert_eq!(img.pixels[23], 23);
        assert_eq!(parse_labels(&labels_file(&[0, 9, 3])).unwrap(), vec![0, 9, 3]);
    }

    #[test]
    fn accepts_gzip() {
        use std::io::Write;
        let raw = images_file(1, 2, 2, 4);
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&raw).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(parse_images(&gz).unwrap(), parse_images(&raw).unwrap());
        let err = parse_images(&gz[..gz.len() - 12]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }

    #[test]
    fn rejects_empty_and_short_headers() {
        assert_eq!(parse_images(&[]), Err(IdxError::Empty));
        assert_eq!(parse_images(&[0, 0]), Err(IdxError::TooShortForHeader { len: 2 }));
        let mut f = images_file(1, 2, 2, 0);
        f.truncate(10);
        assert_eq!(parse_images(&f), Err(IdxError::TooShortForHeader { len: 10 }));
    }

    #[test]
    fn rejects_wrong_magic() {
        // A labels file given where images are expected, and the reverse.
        let err = parse_images(&labels_file(&[1, 2])).unwrap_err();
        assert!(matches!(err, IdxError::BadMagic { found: LABELS_MAGIC, expected: IMAGES_MAGIC, .. }));
        let err = parse_labels(&images_file(1, 1, 1, 1)).unwrap_err();
        assert!(matches!(err, IdxError::BadMagic { found: IMAGES_MAGIC, .. }));
        assert!(err.to_string().contains("0x00000803"));
    }

    #[test]
    fn rejects_truncated_and_padded_data() {
        assert_eq!(parse_images(&images_file(2, 3, 4, 23)), Err(IdxError::SizeMismatch { expected: 24, actual: 23 }));
        assert_eq!(parse_images(&images_file(2, 3, 4, 25)), Err(IdxError::SizeMismatch { expected: 24, actual: 25 }));
        // A header claiming billions of pixels is refused without allocating them.
        assert_eq!(
            parse_images(&images_file(u32::MAX, u32::MAX, u32::MAX, 8)),
            Err(IdxError::SizeMismatch { expected: (u32::MAX as u128).pow(3), actual: 8 })
        );
    }

    #[test]
    fn rejects_labels_out_of_range() {
        assert_eq!(parse_labels(&labels_file(&[1, 10, 2])), Err(IdxError::LabelOutOfRange { index: 1, label: 10 }));
    }

    #[test]
    fn rejects_bad_gzip() {
        assert!(matches!(parse_images(&[0x1f, 0x8b, 0, 1, 2]), Err(IdxError::Gzip(_))));
    }
}
