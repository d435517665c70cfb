//! The native command line: the same crate as the page, for what a page cannot do.
//!
//! `latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]` writes the
//! polynomial images (models.md) as a .npy file: by default the 20,000 float32 images the
//! page fetches, at data/polydata.npy. `--dtype f64` gives the reference's own format.

use std::process::ExitCode;

use latent_lab::data::npy::{self, Dtype};
use latent_lab::data::poly;

const USAGE: &str = "usage: latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]";

struct Polydata {
    out: String,
    count: usize,
    seed: u64,
    dtype: Dtype,
}

fn parse_polydata(args: &[String]) -> Result<Polydata, String> {
    let mut p = Polydata { out: "data/polydata.npy".into(), count: 20_000, seed: 1, dtype: Dtype::F32 };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--out" => p.out = value.clone(),
            "--count" => p.count = value.parse().map_err(|_| format!("--count must be a whole number, not '{value}'"))?,
            "--seed" => p.seed = value.parse().map_err(|_| format!("--seed must be a whole number, not '{value}'"))?,
            "--dtype" => {
                p.dtype = match value.as_str() {
                    "f32" => Dtype::F32,
                    "f64" => Dtype::F64,
                    other => return Err(format!("--dtype must be f32 or f64, not '{other}'")),
                }
            }
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    if !(1..=poly::MAX_POLY_IMAGES).contains(&p.count) {
        return Err(format!("--count must be 1 to {}", poly::MAX_POLY_IMAGES));
    }
    Ok(p)
}

fn polydata(args: &[String]) -> Result<(), String> {
    let p = parse_polydata(args)?;
    let images = poly::generate(p.count, p.seed);
    let bytes = npy::write(&images, p.dtype);
    if let Some(dir) = std::path::Path::new(&p.out).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&p.out, &bytes).map_err(|e| format!("{}: {e}", p.out))?;
    println!("wrote {} images of 40x40 (seed {}) to {} ({} bytes)", p.count, p.seed, p.out, bytes.len());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("polydata") => polydata(&args[1..]),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("latent-lab: {message}");
            ExitCode::FAILURE
        }
    }
}
