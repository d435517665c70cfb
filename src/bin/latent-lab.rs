//! The native command line: the same crate as the page, for what a page cannot do.
//!
//! `latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]` writes the
//! polynomial images (models.md) as a .npy file: by default the 20,000 float32 images the
//! page fetches, at data/polydata.npy. `--dtype f64` gives the reference's own format.
//!
//! `latent-lab judge [--mnist DIR] [--out PATH] [--epochs N] [--seed S]` trains the frozen
//! MNIST classifier that judges the MNIST DCGAN (models.md) on the CPU and writes its weights
//! in burn's record format: by default data/mnist-judge.bpk, where the page fetches them.

use std::process::ExitCode;

use latent_lab::backend::{self, BackendKind};
use latent_lab::data::mnist::{FILES, Mnist};
use latent_lab::data::npy::{self, Dtype};
use latent_lab::data::poly;
use latent_lab::train::judge::{JudgeConfig, accuracy, train_judge};

const USAGE: &str = "usage: latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]
       latent-lab judge [--mnist DIR] [--out PATH] [--epochs N] [--seed S]";

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
    write_file(&p.out, &bytes)?;
    println!("wrote {} images of 40x40 (seed {}) to {} ({} bytes)", p.count, p.seed, p.out, bytes.len());
    Ok(())
}

/// Writes `bytes` to `path`, creating its folder.
fn write_file(path: &str, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{path}: {e}"))
}

fn judge(args: &[String]) -> Result<(), String> {
    let (mut dir, mut out, mut config) = ("data/mnist".to_string(), "data/mnist-judge.bpk".to_string(), JudgeConfig::default());
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let whole = |name: &str| value.parse::<u64>().map_err(|_| format!("{name} must be a whole number, not '{value}'"));
        match flag.as_str() {
            "--mnist" => dir = value.clone(),
            "--out" => out = value.clone(),
            "--epochs" => config.epochs = whole("--epochs")?.max(1),
            "--seed" => config.seed = whole("--seed")?,
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let files = FILES
        .iter()
        .map(|name| std::fs::read(std::path::Path::new(&dir).join(name)).map_err(|e| format!("{dir}/{name}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mnist = Mnist::from_idx([&files[0], &files[1], &files[2], &files[3]]).map_err(|e| e.to_string())?;
    // burn-flex: its convolutions are far faster than burn-ndarray's (README, backends).
    let device = backend::cpu(BackendKind::Flex, "the judge is trained on the CPU").device;
    let start = std::time::Instant::now();
    let judge = train_judge(&mnist.train, &device.clone().autodiff(), &config, |epoch, step, loss| {
        if step % 500 == 0 {
            println!("epoch {epoch} step {step}: loss {loss:.4} ({:.0} s)", start.elapsed().as_secs_f64());
        }
    });
    let accuracy = pollster::block_on(accuracy(&judge, &mnist.test, &device)).map_err(|e| e.to_string())?;
    let bytes = judge.to_bytes().map_err(|e| e.to_string())?;
    write_file(&out, &bytes)?;
    println!(
        "trained the MNIST judge for {} epochs (seed {}) in {:.0} s: test accuracy {:.2} %; wrote {out} ({} bytes)",
        config.epochs,
        config.seed,
        start.elapsed().as_secs_f64(),
        accuracy * 100.0,
        bytes.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("polydata") => polydata(&args[1..]),
        Some("judge") => judge(&args[1..]),
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
