use super::*;

/// The images alone.
fn parsed(bytes: &[u8]) -> Result<Images, NpyError> {
    read(bytes).map(|(images, _)| images)
}

fn images() -> Images {
    let pixels = (0..2 * 3 * 4).map(|i| i as f32 / 7.0 - 1.0).collect();
    Images::new(2, 3, 4, pixels).unwrap()
}

/// A file with `header` (padded like numpy) and `data_len` bytes of data.
fn file(version: u8, header: &str, data_len: usize) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[version, 0]);
    let padded = format!("{header:<54}\n");
    if version == 1 {
        out.extend_from_slice(&(padded.len() as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(padded.len() as u32).to_le_bytes());
    }
    out.extend_from_slice(padded.as_bytes());
    out.extend(std::iter::repeat_n(0, data_len));
    out
}

fn header_error(header: &str) -> NpyError {
    parsed(&file(1, header, 8)).unwrap_err()
}

#[test]
fn round_trips_f32_and_f64() {
    let img = images();
    for dtype in [Dtype::F32, Dtype::F64] {
        let bytes = write(&img, dtype);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        assert_eq!(bytes[9 + header_len], b'\n');
        assert_eq!(parsed(&bytes).unwrap(), img);
    }
    assert_eq!(write(&img, Dtype::F64).len(), 128 + 24 * 8);
}

#[test]
fn reads_a_header_as_numpy_writes_it() {
    // np.save of np.full((2, 40, 40), 0.5): version 1.0, header padded to 128 bytes.
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 40, 40), }";
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 0, 118, 0]);
    bytes.extend_from_slice(format!("{header:<117}\n").as_bytes());
    assert_eq!(bytes.len(), 128);
    for _ in 0..3200 {
        bytes.extend_from_slice(&0.5f64.to_le_bytes());
    }
    let img = parsed(&bytes).unwrap();
    assert_eq!((img.count(), img.height(), img.width()), (2, 40, 40));
    assert!(img.pixels().iter().all(|&p| p == 0.5));
    assert_eq!(img.iter().count(), 2);
}

#[test]
fn accepts_versions_2_and_3_other_spellings_and_a_channel_axis() {
    let f4 = 4 * 2 * 3 * 4;
    for header in [
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4), }",
        "{\"shape\":(2,3,4,1),\"fortran_order\":False,\"descr\":\"<f4\"}",
        "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2L , 3L , 4L , ) , }",
    ] {
        for version in [1, 2, 3] {
            let img = parsed(&file(version, header, f4)).unwrap();
            assert_eq!((img.count(), img.height(), img.width()), (2, 3, 4), "{header}");
        }
    }
    let empty = parsed(&file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3, 4), }", 0)).unwrap();
    assert_eq!(empty.count(), 0);
}

#[test]
fn rejects_bad_magic_version_and_truncation() {
    assert_eq!(parsed(b"PK\x03\x04"), Err(NpyError::BadMagic));
    assert_eq!(parsed(b"\x93NUMP"), Err(NpyError::BadMagic));
    assert_eq!(parsed(b"\x93NUMPY\x01"), Err(NpyError::TruncatedHeader { len: 7, needed: 8 }));
    assert_eq!(parsed(b"\x93NUMPY\x01\x00\x40"), Err(NpyError::TruncatedHeader { len: 9, needed: 10 }));
    let mut f = file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), }", 0);
    let needed = f.len();
    f.truncate(40);
    assert_eq!(parsed(&f), Err(NpyError::TruncatedHeader { len: 40, needed }));
    let mut f = file(1, "{}", 0);
    f[6] = 4;
    assert_eq!(parsed(&f), Err(NpyError::UnsupportedVersion { major: 4, minor: 0 }));
    f[6] = 1;
    f[7] = 1;
    assert_eq!(parsed(&f), Err(NpyError::UnsupportedVersion { major: 1, minor: 1 }));
}

#[test]
fn rejects_unparsable_headers() {
    for header in [
        "",
        "{'descr': '<f4', 'fortran_order': False}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1), 'extra': 1}",
        "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1)}",
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (1, 1, 1)}",
        "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1, 1, 1)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -1, 1)}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1)} x",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1),,}",
        "{'descr': '<f4, 'fortran_order': False, 'shape': (1, 1, 1)}",
        "{'descr': '<f4' 'fortran_order': False, 'shape': (1, 1, 1)}",
    ] {
        assert!(matches!(header_error(header), NpyError::BadHeader(_)), "{header}: {:?}", header_error(header));
    }
}

#[test]
fn rejects_unsupported_arrays() {
    let h = |descr: &str, fortran: &str, shape: &str| {
        header_error(&format!("{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}"))
    };
    let err = h(">f8", "False", "(1, 1, 1)");
    assert_eq!(err, NpyError::UnsupportedDtype(">f8".into()));
    assert!(err.to_string().contains("'<f8'") && err.to_string().contains("'<f4'"));
    assert_eq!(h("<i8", "False", "(1, 1, 1)"), NpyError::UnsupportedDtype("<i8".into()));
    assert_eq!(h("<f8", "True", "(1, 1, 1)"), NpyError::FortranOrder);
    assert_eq!(h("<f8", "False", "(1, 8)"), NpyError::WrongShape(vec![1, 8]));
    assert_eq!(h("<f8", "False", "(1, 1, 1, 3)"), NpyError::WrongShape(vec![1, 1, 1, 3]));
    assert_eq!(h("<f8", "False", "()"), NpyError::WrongShape(vec![]));
    assert_eq!(h("<f8", "False", "(1, 0, 1)"), NpyError::EmptyImage { height: 0, width: 1 });
    let huge = u64::MAX;
    assert_eq!(h("<f8", "False", &format!("({huge}, {huge}, {huge})")), NpyError::TooLarge { shape: vec![huge; 3] });
    assert_eq!(h("<f8", "False", "(1, 1, 99999999999999999999999)"), NpyError::TooLarge { shape: vec![1, 1, huge] });
    assert_eq!(h("<f8", "False", "(1024, 1024, 257)"), NpyError::TooLarge { shape: vec![1024, 1024, 257] });
}

#[test]
fn rejects_wrong_data_length_and_non_finite_values() {
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), }";
    assert_eq!(parsed(&file(1, header, 191)), Err(NpyError::SizeMismatch { expected: 192, actual: 191 }));
    assert_eq!(parsed(&file(1, header, 193)), Err(NpyError::SizeMismatch { expected: 192, actual: 193 }));
    let mut bytes = write(&images(), Dtype::F64);
    let at = bytes.len() - 8 * 3;
    bytes[at..at + 8].copy_from_slice(&1e300f64.to_le_bytes());
    assert_eq!(parsed(&bytes), Err(NpyError::NonFinite { index: 21 }));
}

#[test]
fn images_keep_their_invariant() {
    assert!(matches!(Images::new(2, 3, 4, vec![0.0; 23]), Err(NpyError::PixelCount { .. })));
    assert!(matches!(Images::new(usize::MAX, 2, 2, vec![]), Err(NpyError::PixelCount { .. })));
    assert_eq!(Images::new(0, 0, 4, vec![]), Err(NpyError::EmptyImage { height: 0, width: 4 }));
    assert_eq!(Images::new(0, 3, 4, vec![]).unwrap().iter().count(), 0);
}
