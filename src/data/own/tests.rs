use super::*;

/// A `w` x `h` RGBA image of one colour.
fn plain(w: usize, h: usize, rgba: [u8; 4]) -> Vec<u8> {
    rgba.repeat(w * h)
}

fn idx_images(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut v = Vec::new();
    for w in [idx::IMAGES_MAGIC, count, rows, cols] {
        v.extend_from_slice(&w.to_be_bytes());
    }
    v.extend((0..count * rows * cols).map(|i| (i % 256) as u8));
    v
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut v = idx::LABELS_MAGIC.to_be_bytes().to_vec();
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

#[test]
fn resizing_keeps_the_aspect_and_the_mean() {
    // A white 56x28 image becomes a 28x14 white band in the middle of black.
    let out = resize(&[1.0; 56 * 28], 56, 28, 28);
    assert_eq!(out.len(), 28 * 28);
    assert!(out[..7 * 28].iter().all(|&v| v == 0.0) && out[21 * 28..].iter().all(|&v| v == 0.0));
    assert!(out[7 * 28..21 * 28].iter().all(|&v| (v - 1.0).abs() < 1e-5));
    // Enlarging a 2x2 checker keeps values within the source's range and its mean.
    let out = resize(&[0.0, 1.0, 1.0, 0.0], 2, 2, 28);
    assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    assert!((out.iter().sum::<f32>() / out.len() as f32 - 0.5).abs() < 0.02);
}

#[test]
fn colour_and_alpha_become_grey_over_black() {
    let mut c = Collector::new(DataSlot::Side28);
    c.add_rgba("a/x/white.png", 4, 4, &plain(4, 4, [255, 255, 255, 255])).unwrap();
    c.add_rgba("a/y/clear.png", 4, 4, &plain(4, 4, [255, 255, 255, 0])).unwrap();
    c.add_rgba("a/y/red.png", 28, 28, &plain(28, 28, [255, 0, 0, 255])).unwrap();
    let set = c.finish("a").unwrap();
    assert_eq!(set.classes, ["x", "y"]);
    assert_eq!(set.report.resized_from, [[4, 4]]);
    let OwnImages::Side28(splits) = set.images else { panic!("28x28 data") };
    let mut means: Vec<(u8, u32)> = [&splits.train, &splits.test]
        .iter()
        .flat_map(|s| (0..s.len()).map(move |i| (s.label(i), s.image(i).iter().map(|&p| u32::from(p)).sum::<u32>() / 784)))
        .collect();
    means.sort();
    assert_eq!(means, [(0, 255), (1, 0), (1, 76)]);
}

#[test]
fn folders_name_classes_below_what_all_paths_share() {
    let mut c = Collector::new(DataSlot::Side28);
    for path in ["shoes.zip/shoes/boot/1.png", "shoes.zip/shoes/sandal/2.png", "shoes.zip/shoes/boot/3.png"] {
        c.add_rgba(path, 2, 2, &plain(2, 2, [9, 9, 9, 255])).unwrap();
    }
    assert_eq!(c.finish("shoes.zip").unwrap().classes, ["boot", "sandal"]);
    // One folder of images is unlabelled.
    let mut c = Collector::new(DataSlot::Side28);
    for path in ["pics/1.png", "pics/2.jpg"] {
        c.add_rgba(path, 2, 2, &plain(2, 2, [9, 9, 9, 255])).unwrap();
    }
    assert!(c.finish("pics").unwrap().classes.is_empty());
}

#[test]
fn idx_images_pair_with_their_labels() {
    let mut c = Collector::new(DataSlot::Side28);
    assert!(c.add_file("d/train-labels-idx1-ubyte", idx_labels(&[3, 1, 4])).unwrap().is_empty());
    assert!(c.add_file("d/train-images-idx3-ubyte", idx_images(3, 14, 14)).unwrap().is_empty());
    let set = c.finish("d").unwrap();
    assert_eq!(set.classes, ["0", "1", "2", "3", "4"]);
    assert_eq!(set.report.images, 3);
    // Labels that do not match the images in count name both files.
    let mut c = Collector::new(DataSlot::Side28);
    c.add_file("imgs-images-idx3-ubyte", idx_images(3, 28, 28)).unwrap();
    c.add_file("imgs-labels-idx1-ubyte", idx_labels(&[1, 2])).unwrap();
    let err = c.finish("d").unwrap_err().to_string();
    assert!(err.contains("imgs-images-idx3-ubyte holds 3 images but imgs-labels-idx1-ubyte holds 2 labels"), "{err}");
}

#[test]
fn npy_floats_of_the_polynomial_size_are_taken_as_they_are() {
    let images = Images::new(2, 40, 40, (0..3200).map(|i| i as f32 / 3200.0 - 0.5).collect()).unwrap();
    let mut c = Collector::new(DataSlot::Side40);
    c.add_file("p.npy", npy::write(&images, Dtype::F32)).unwrap();
    let OwnImages::Side40(got) = c.finish("p.npy").unwrap().images else { panic!("40x40 data") };
    assert_eq!(got, images);
    // uint8 of another size is grey, resized, with every row of unit length.
    let grey = Images::new(2, 20, 20, vec![200.0; 800]).unwrap();
    let mut c = Collector::new(DataSlot::Side40);
    c.add_file("g.npy", npy::write(&grey, Dtype::U8)).unwrap();
    let OwnImages::Side40(got) = c.finish("g.npy").unwrap().images else { panic!("40x40 data") };
    let row = &got.pixels()[..40];
    assert!((row.iter().map(|v| v * v).sum::<f32>() - 1.0).abs() < 1e-4);
}

#[test]
fn bad_input_is_named() {
    let c = Collector::new(DataSlot::Side28);
    assert!(c.finish("empty").unwrap_err().to_string().starts_with("'empty' holds no images"));
    let mut c = Collector::new(DataSlot::Side28);
    assert!(c.add_file("notes.txt", b"hello".to_vec()).unwrap().is_empty());
    c.skip("bad.png", "the browser could not decode it");
    let err = c.finish("folder").unwrap_err().to_string();
    assert!(err.contains("1 files could not be decoded: bad.png"), "{err}");
    let c = Collector::new(DataSlot::Side28);
    let err = c.check_count("big", 100_000).unwrap_err().to_string();
    assert!(err.contains("more than 70000 images"), "{err}");
    let mut c = Collector::new(DataSlot::Side28);
    let wrong_rank = b"\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }            \n".to_vec();
    let err = c.add_file("x.npy", [wrong_rank, vec![0; 24]].concat()).err().unwrap().to_string();
    assert!(err.starts_with("x.npy: the shape is [2, 3]"), "{err}");
    let mut c = Collector::new(DataSlot::Side28);
    let err = c.add_file("z.zip", b"PK\x03\x04 broken".to_vec()).err().unwrap().to_string();
    assert!(err.starts_with("z.zip: not a zip file"), "{err}");
    let mut c = Collector::new(DataSlot::Side28);
    assert!(c.add_rgba("a.png", 2, 2, &[0; 15]).is_err());
    c.add_rgba("b.png", 2, 2, &[0; 16]).unwrap();
    assert!(matches!(c.finish("one"), Err(OwnError::TooFew { .. })));
}

#[test]
fn a_zip_hands_back_its_images_to_decode() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("set/a/1.png", options).unwrap();
    zip.write_all(b"\x89PNG not really").unwrap();
    zip.start_file("set/readme.txt", options).unwrap();
    zip.write_all(b"hi").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let mut c = Collector::new(DataSlot::Side28);
    let out = c.add_file("set.zip", bytes).unwrap();
    assert_eq!(out.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), ["set.zip/set/a/1.png"]);
    assert_eq!(c.ignored, 1);
}

#[test]
fn a_zip_without_images_is_named() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("notes/readme.txt", zip::write::SimpleFileOptions::default()).unwrap();
    zip.write_all(b"no pictures here").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let mut c = Collector::new(DataSlot::Side40);
    assert!(c.add_file("empty.zip", bytes).unwrap().is_empty());
    assert!(c.finish("empty.zip").unwrap_err().to_string().starts_with("'empty.zip' holds no images"));
}
