//! What the native test binaries share: the real MNIST files and a CPU device.

// Each test binary compiles this module for itself and uses part of it.
#![allow(dead_code)]

use burn::prelude::*;
use latent_lab::backend::{self, BackendKind};
use latent_lab::data::{Splits, split::IDX_FILES};

pub fn mnist() -> Splits {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}; run scripts/setup.sh first"));
    let files = IDX_FILES.map(read);
    Splits::from_idx([&files[0], &files[1], &files[2], &files[3]]).expect("real MNIST parses")
}

pub fn device(kind: BackendKind) -> Device {
    backend::cpu(kind, "test").device
}
