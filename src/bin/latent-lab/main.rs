//! The native command line: the same crate as the page, for what a page cannot do.
//!
//! `latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]` writes the
//! polynomial images (models.md) as a .npy file: by default the 20,000 float32 images the
//! page fetches, at data/polydata.npy. `--dtype f64` gives the reference's own format.
//!
//! `latent-lab judge [--mnist DIR] [--out PATH] [--epochs N] [--seed S]` trains the frozen
//! MNIST classifier that judges the MNIST DCGAN (models.md) on the CPU and writes its weights
//! in burn's record format: by default data/mnist-judge.bpk, where the page fetches them.
//!
//! `latent-lab train --model M [--epochs N | --steps N] [settings] [--out PATH] [--metrics
//! PATH]` trains any of the seven models with the page's own code and writes a checkpoint the
//! page loads (`.llck`) and a metrics file (JSON lines). The settings are the page's controls
//! as flags: `--preset`, `--seed`, `--batch-size`, `--learning-rate`, `--beta`,
//! `--lr-generator`, `--lr-critic`, `--n-critic`, `--clip`, `--ema`.
//!
//! `latent-lab evaluate --checkpoint PATH [--split test|train]` prints a checkpoint's figures
//! on the test (or training) set (autoencoders) or its quality meters (GANs) as JSON;
//! `--decode X,Y` prints the image decoded at a latent point instead (what the page draws).
//!
//! `latent-lab bench [--cases M[:PRESET],...] [--steps N] [--seconds S]` times training steps
//! natively, the figures `scripts/bench.mjs` sets beside the page's: the median of up to N
//! steps (each with its read-back, as the page's `Session.train(1)`) after a warm-up step,
//! stopping after S seconds; one JSON line per case, then a table.
//!
//! `latent-lab serve [--port N] [--root DIR]` serves the page (the repository it is run
//! from by default) on 127.0.0.1 and prints its URL; port 0 picks a free one.
//!
//! Every command reads MNIST from `--mnist DIR` (data/mnist), the polynomial images from
//! `--polydata PATH` (data/polydata.npy) and the judge from `--judge PATH`
//! (data/mnist-judge.bpk), and trains on `--backend flex|ndarray|wgpu` (flex; wgpu, the
//! machine's GPU, needs a build with `--features gpu`).

// Native only. Cargo still builds every binary of the crate when it builds the browser
// tests for wasm32; there the command is compiled to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod serve;

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use burn::prelude::Device;
use latent_lab::LabError;
use latent_lab::backend::{self, BackendKind, BackendRequest};
use latent_lab::checkpoint::{self, Checkpoint};
use latent_lab::data::mnist::{FILES, Mnist};
use latent_lab::data::npy::{self, Dtype, Images};
use latent_lab::data::poly::{self, POLY_SIDE};
use latent_lab::metrics::{self, PAIRWISE_IMAGES, PolyReference};
use latent_lab::model::judge::Judge;
use latent_lab::model::{GanKind, ModelKind};
use latent_lab::settings::{Settings, SettingsInput};
use latent_lab::train::ModelTrainer;
use latent_lab::train::gan::{GanRule, ImageSet, METER_NOISE_SEED, fixed_noise};
use latent_lab::train::judge::{JudgeConfig, accuracy, digit_meters, real_digits, train_judge};
use serde_json::json;

const USAGE: &str = "usage: latent-lab polydata [--out PATH] [--count N] [--seed S] [--dtype f32|f64]
       latent-lab judge [--mnist DIR] [--out PATH] [--epochs N] [--seed S]
       latent-lab train --model M [--epochs N | --steps N] [--preset paper|live] [--seed S]
                        [--batch-size N] [--learning-rate X] [--beta X] [--lr-generator X]
                        [--lr-critic X] [--n-critic N] [--clip X] [--ema X] [--out PATH]
                        [--metrics PATH]
       latent-lab evaluate --checkpoint PATH [--split test|train] [--decode X,Y]
       latent-lab bench [--cases M[:paper|live],...] [--steps N] [--seconds S]
       latent-lab serve [--port N] [--root DIR]
  models: ae, ae-classifier, vae, vae-classifier, dcgan-mnist, dcgan-poly, wgan-poly
  data: [--mnist DIR] [--polydata PATH] [--judge PATH] [--backend flex|ndarray|wgpu]";

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

/// `--flag value` pairs, taken one by one by the command that knows them; any left over
/// are refused.
struct Options(Vec<(String, String)>);

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if !flag.starts_with("--") {
                return Err(format!("unexpected '{flag}'\n{USAGE}"));
            }
            let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
            pairs.push((flag.clone(), value.clone()));
        }
        Ok(Options(pairs))
    }

    fn take(&mut self, flag: &str) -> Option<String> {
        let i = self.0.iter().position(|(f, _)| f == flag)?;
        Some(self.0.remove(i).1)
    }

    fn number(&mut self, flag: &str) -> Result<Option<f64>, String> {
        self.take(flag).map(|v| v.parse::<f64>().map_err(|_| format!("{flag} must be a number, not '{v}'"))).transpose()
    }

    fn finish(self) -> Result<(), String> {
        match self.0.first() {
            Some((flag, _)) => Err(format!("unknown option '{flag}'\n{USAGE}")),
            None => Ok(()),
        }
    }
}

/// The data and device every training command uses.
struct Lab {
    mnist: Mnist,
    poly: Option<Images>,
    judge_path: String,
    device: Device,
    /// What the device is, for the log.
    label: String,
}

impl Lab {
    fn open(options: &mut Options) -> Result<Self, String> {
        let dir = options.take("--mnist").unwrap_or_else(|| "data/mnist".into());
        let poly_path = options.take("--polydata").unwrap_or_else(|| "data/polydata.npy".into());
        let judge_path = options.take("--judge").unwrap_or_else(|| "data/mnist-judge.bpk".into());
        let request = match options.take("--backend").as_deref() {
            // flex: its convolutions are far faster than burn-ndarray's (README, backends).
            None | Some("flex") => BackendRequest::Flex,
            Some("ndarray") => BackendRequest::Ndarray,
            Some("wgpu") => BackendRequest::WebGpu,
            Some(other) => return Err(format!("--backend must be flex, ndarray or wgpu, not '{other}'")),
        };
        let poly = match std::fs::read(&poly_path) {
            Ok(bytes) => Some(npy::read(&bytes).map_err(|e| format!("{poly_path}: {e}"))?),
            Err(_) => None,
        };
        let backend = backend::select(request).map_err(|e| e.to_string())?;
        Ok(Lab { mnist: read_mnist(&dir)?, poly, judge_path, device: backend.device, label: backend.label })
    }

    fn train_set(&self, model: ModelKind) -> Option<&dyn ImageSet> {
        match model {
            ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => self.poly.as_ref().map(|p| p as &dyn ImageSet),
            _ => Some(&self.mnist.train),
        }
    }

    fn data_for(&self, model: ModelKind) -> Result<&dyn ImageSet, String> {
        self.train_set(model).ok_or_else(|| "no polynomial images: run `latent-lab polydata` or pass --polydata PATH".into())
    }

    /// Figures of an autoencoder on a split (`test` or `train`, named in the keys), quality
    /// meters of a GAN, as one JSON object.
    fn measure(&self, trainer: &ModelTrainer, split: &str) -> Result<serde_json::Value, String> {
        let err = |e: LabError| e.to_string();
        Ok(match trainer {
            ModelTrainer::Latent(t) => {
                let data = if split == "train" { &self.mnist.train } else { &self.mnist.test };
                let r = pollster::block_on(t.evaluate(data)).map_err(err)?;
                let mut figures = serde_json::Map::new();
                for (name, value) in [("Loss", Some(r.loss)), ("Mse", Some(r.mse)), ("Kl", r.kl), ("Accuracy", r.accuracy)] {
                    figures.insert(format!("{split}{name}"), json!(value));
                }
                figures.into()
            }
            ModelTrainer::Gan(kind, t) => {
                let pixels = pollster::block_on(t.generate(&fixed_noise(PAIRWISE_IMAGES, t.noise_dim(), METER_NOISE_SEED))).map_err(err)?;
                if *kind == GanKind::DcganMnist {
                    let bytes = std::fs::read(&self.judge_path).map_err(|e| format!("{}: {e} (run the set-up, or `latent-lab judge`)", self.judge_path))?;
                    let judge = Judge::from_bytes(bytes, &self.device).map_err(err)?;
                    let real = pollster::block_on(real_digits(&judge, &self.mnist.test, &self.device)).map_err(err)?;
                    let unit: Vec<f32> = pixels.iter().map(|v| (v + 1.0) / 2.0).collect();
                    let (report, frechet) = pollster::block_on(digit_meters(&judge, &unit, &real.reference, &self.device)).map_err(err)?;
                    json!({ "confidence": report.confidence, "covered": report.covered, "histogram": report.histogram,
                            "frechet": frechet, "realConfidence": real.report.confidence, "realFrechet": real.frechet })
                } else {
                    let real = PolyReference::of(self.poly.as_ref().ok_or("no polynomial images")?);
                    let samples = Images::new(PAIRWISE_IMAGES, POLY_SIDE, POLY_SIDE, pixels).map_err(|e| e.to_string())?;
                    json!({ "smoothness": metrics::row_residual(&samples), "realSmoothness": real.smoothness,
                            "diversity": metrics::diversity(&samples, real.distance) })
                }
            }
        })
    }
}

fn read_mnist(dir: &str) -> Result<Mnist, String> {
    let files = FILES
        .iter()
        .map(|name| std::fs::read(std::path::Path::new(dir).join(name)).map_err(|e| format!("{dir}/{name}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Mnist::from_idx([&files[0], &files[1], &files[2], &files[3]]).map_err(|e| e.to_string())
}

/// The page's settings from their flags.
fn settings_input(options: &mut Options) -> Result<SettingsInput, String> {
    Ok(SettingsInput {
        model: options.take("--model"),
        seed: options.number("--seed")?,
        batch_size: options.number("--batch-size")?,
        learning_rate: options.number("--learning-rate")?,
        beta: options.number("--beta")?,
        preset: options.take("--preset"),
        lr_generator: options.number("--lr-generator")?,
        lr_critic: options.number("--lr-critic")?,
        n_critic: options.number("--n-critic")?,
        clip: options.number("--clip")?,
        ema: options.number("--ema")?,
    })
}

fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn train(mut options: Options) -> Result<(), String> {
    let lab = Lab::open(&mut options)?;
    let input = settings_input(&mut options)?;
    if input.model.is_none() {
        return Err(format!("--model is required\n{USAGE}"));
    }
    let (settings, _) = Settings::default().apply(&input, |m| lab.train_set(m).map(|d| d.len())).map_err(|e| e.to_string())?;
    let model = settings.model;
    let epochs = options.number("--epochs")?;
    let steps = options.number("--steps")?;
    let out = options.take("--out").unwrap_or_else(|| format!("{}.{}", model.name(), checkpoint::EXTENSION));
    let metrics_path = options.take("--metrics").unwrap_or_else(|| format!("{}.metrics.jsonl", model.name()));
    options.finish()?;
    let data = lab.data_for(model)?;
    // A target in steps; an epoch is a pass over the training set in batches (the last one partial).
    let batch = match model {
        ModelKind::Latent(_) => settings.latent.batch_size,
        ModelKind::Gan(_) => settings.gan.batch_size,
    };
    // A WGAN step takes a real batch for each critic update, the others one.
    let batches_per_step = match settings.gan.rule {
        GanRule::Wasserstein { n_critic, .. } if matches!(model, ModelKind::Gan(_)) => n_critic,
        _ => 1,
    };
    let per_epoch = data.len().div_ceil(batch).div_ceil(batches_per_step) as u64;
    let total = match (epochs, steps) {
        (Some(e), None) if e >= 1.0 && e.fract() == 0.0 => e as u64 * per_epoch,
        (None, Some(s)) if s >= 1.0 && s.fract() == 0.0 => s as u64,
        (None, None) => return Err("give --epochs N or --steps N".into()),
        _ => return Err("give one of --epochs N or --steps N, a whole number of at least 1".into()),
    };
    println!("training {} ({}) for {total} steps on {}", model.name(), settings.output().preset_text, lab.label);
    let mut trainer = ModelTrainer::new(&settings, lab.device.clone().autodiff(), data).map_err(|e| e.to_string())?;
    let mut log = std::fs::File::create(&metrics_path).map_err(|e| format!("{metrics_path}: {e}"))?;
    let start = Instant::now();
    // Per-step figures summed over the current epoch: (name, sum, count).
    let (mut last_epoch, mut sums): (u64, Vec<(&str, f64, usize)>) = (0, Vec::new());
    let mut line = |value: serde_json::Value| writeln!(log, "{value}").map_err(|e| format!("{metrics_path}: {e}"));
    while trainer.step_count() < total {
        // Read back every 50 steps (often enough for the progress line, rarely enough not to
        // stall the CPU) and at the end of each epoch.
        let done = trainer.step_count();
        let chunk = 50.min(total - done).min(per_epoch - done % per_epoch);
        let Chunk { step, epoch, progress, series } = run_steps(&mut trainer, chunk, &lab, data)?;
        for (name, values) in &series {
            let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
            match sums.iter_mut().find(|(n, ..)| n == name) {
                Some(entry) => (entry.1, entry.2) = (entry.1 + sum, entry.2 + values.len()),
                None => sums.push((name, sum, values.len())),
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let rate = step as f64 / elapsed;
        let shown: Vec<String> = series.iter().take(2).map(|(k, v)| format!("{k} {:.4}", mean(v))).collect();
        eprint!(
            "\r{:>5.1} %  step {step}/{total}  epoch {epoch}  {rate:.1} steps/s  ETA {}  {}   ",
            100.0 * step as f64 / total as f64,
            clock((total - step) as f64 / rate),
            shown.join("  ")
        );
        // Each finished epoch (and the end) is scored like the reference scores it: the
        // training figures averaged over the epoch's steps, the test set's (or the meters).
        if epoch > last_epoch || step == total {
            last_epoch = epoch;
            let mut record = lab.measure(&trainer, "test")?;
            record["step"] = json!(step);
            record["epoch"] = json!(epoch as f64 + progress);
            record["seconds"] = json!(elapsed);
            for (name, sum, count) in sums.drain(..) {
                record[name] = json!(sum / count.max(1) as f64);
            }
            line(record.clone())?;
            eprintln!();
            println!("{record}");
        }
    }
    let bytes = trainer.checkpoint(&settings).map_err(|e| e.to_string())?.to_bytes();
    write_file(&out, &bytes)?;
    println!("wrote {out} ({} bytes) and {metrics_path} in {}", bytes.len(), clock(start.elapsed().as_secs_f64()));
    Ok(())
}

/// What [`run_steps`] read back: the counters after the steps and each per-step series.
struct Chunk {
    step: u64,
    epoch: u64,
    progress: f64,
    series: Vec<(&'static str, Vec<f32>)>,
}

/// `steps` training steps on `data` (MNIST's training split for the autoencoders), then one
/// read-back of their figures: what `train` logs and `bench` times.
fn run_steps(trainer: &mut ModelTrainer, steps: u64, lab: &Lab, data: &dyn ImageSet) -> Result<Chunk, String> {
    Ok(match trainer {
        ModelTrainer::Latent(t) => {
            (0..steps).for_each(|_| t.step(&lab.mnist.train));
            let r = pollster::block_on(t.read_back()).map_err(|e| e.to_string())?;
            let mut series = vec![("loss", r.losses), ("mse", r.mses)];
            series.extend(r.accuracies.map(|a| ("accuracy", a)));
            series.extend(r.kls.map(|k| ("kl", k)));
            Chunk { step: r.step, epoch: r.epoch, progress: r.epoch_progress, series }
        }
        ModelTrainer::Gan(_, t) => {
            (0..steps).for_each(|_| t.step(data));
            let r = pollster::block_on(t.read_back()).map_err(|e| e.to_string())?;
            let series = vec![("criticLoss", r.critic_losses), ("generatorLoss", r.generator_losses)];
            Chunk { step: r.step, epoch: r.epoch, progress: r.epoch_progress, series }
        }
    })
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len().max(1) as f64
}

fn evaluate(mut options: Options) -> Result<(), String> {
    let lab = Lab::open(&mut options)?;
    let path = options.take("--checkpoint").ok_or_else(|| format!("--checkpoint is required\n{USAGE}"))?;
    let decode = options.take("--decode");
    let split = options.take("--split").unwrap_or_else(|| "test".into());
    if split != "test" && split != "train" {
        return Err(format!("--split must be test or train, not '{split}'"));
    }
    options.finish()?;
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let checkpoint = Checkpoint::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let settings = checkpoint.settings(|m| lab.train_set(m).map(|d| d.len())).map_err(|e| format!("{path}: {e}"))?;
    let mut trainer = ModelTrainer::new(&settings, lab.device.clone().autodiff(), lab.data_for(settings.model)?).map_err(|e| e.to_string())?;
    trainer.restore(&checkpoint).map_err(|e| format!("{path}: {e}"))?;
    let report = match decode {
        Some(point) => {
            let xy: Vec<f32> = point.split(',').map(|v| v.trim().parse::<f32>()).collect::<Result<_, _>>().map_err(|_| format!("--decode takes X,Y, not '{point}'"))?;
            if xy.len() != 2 {
                return Err(format!("--decode takes X,Y, not '{point}'"));
            }
            let image = match &trainer {
                ModelTrainer::Latent(t) => pollster::block_on(t.decode(&xy)),
                ModelTrainer::Gan(_, t) => pollster::block_on(t.generate(&xy)),
            }
            .map_err(|e| e.to_string())?;
            json!({ "model": settings.model.name(), "point": xy, "image": image })
        }
        None => {
            let mut r = lab.measure(&trainer, &split)?;
            r["model"] = json!(settings.model.name());
            r["step"] = json!(checkpoint.header.step);
            r
        }
    };
    println!("{report}");
    Ok(())
}

/// What the benchmark times by default: every model, both presets of each GAN.
const BENCH_CASES: &str = "ae,ae-classifier,vae,vae-classifier,dcgan-mnist:live,dcgan-mnist:paper,dcgan-poly:live,dcgan-poly:paper,wgan-poly:live,wgan-poly:paper";

fn bench(mut options: Options) -> Result<(), String> {
    let lab = Lab::open(&mut options)?;
    let cases = options.take("--cases").unwrap_or_else(|| BENCH_CASES.into());
    let whole = |v: Option<f64>, flag: &str, default: f64| match v.unwrap_or(default) {
        n if n >= 1.0 && n.fract() == 0.0 => Ok(n),
        n => Err(format!("{flag} must be a whole number of at least 1, not {n}")),
    };
    let max_steps = whole(options.number("--steps")?, "--steps", 20.0)? as usize;
    let max_seconds = whole(options.number("--seconds")?, "--seconds", 20.0)?;
    options.finish()?;
    let mut rows = Vec::new();
    for case in cases.split(',') {
        let (model, preset) = match case.split_once(':') {
            Some((m, p)) => (m, Some(p.to_string())),
            None => (case, None),
        };
        let input = SettingsInput { model: Some(model.into()), preset, ..Default::default() };
        let (settings, _) = Settings::default().apply(&input, |m| lab.train_set(m).map(|d| d.len())).map_err(|e| format!("{case}: {e}"))?;
        let data = lab.data_for(settings.model)?;
        let mut trainer = ModelTrainer::new(&settings, lab.device.clone().autodiff(), data).map_err(|e| e.to_string())?;
        let mut step = || -> Result<f64, String> {
            let t0 = Instant::now();
            run_steps(&mut trainer, 1, &lab, data)?;
            Ok(t0.elapsed().as_secs_f64() * 1e3)
        };
        step()?; // warm-up: first-call allocations
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < max_steps && (times.is_empty() || start.elapsed().as_secs_f64() < max_seconds) {
            times.push(step()?);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let flops = trainer.flops_per_step();
        let row = json!({
            "case": case, "model": settings.model.name(), "preset": settings.output().preset_text, "backend": lab.label,
            "steps": times.len(), "msPerStep": median, "stepsPerSec": 1e3 / median,
            "flopsPerStep": flops, "gflopsPerSec": flops / median / 1e6,
        });
        println!("{row}");
        rows.push(row);
    }
    println!("\n{:<20} {:>7} {:>12} {:>9} {:>10} {:>8}", "case", "steps", "ms/step", "steps/s", "GFLOP/step", "GFLOP/s");
    for r in &rows {
        let f = |k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        println!(
            "{:<20} {:>7} {:>12.1} {:>9.2} {:>10.3} {:>8.1}",
            r["case"].as_str().unwrap_or("?"), r["steps"], f("msPerStep"), f("stepsPerSec"), f("flopsPerStep") / 1e9, f("gflopsPerSec")
        );
    }
    Ok(())
}

fn serve_page(mut options: Options) -> Result<(), String> {
    let port = match options.take("--port") {
        Some(v) => v.parse::<u16>().map_err(|_| format!("--port must be 0 to 65535, not '{v}'"))?,
        None => 8080,
    };
    // The current directory, like every path the command takes: not the checkout the binary
    // was built in, which a build cache shared between clones does not pin down.
    let root = options.take("--root").unwrap_or_else(|| ".".into());
    options.finish()?;
    let root = std::path::Path::new(&root);
    if !root.join("index.html").is_file() {
        return Err(format!("{} has no index.html: run from the repository or pass --root DIR", root.display()));
    }
    serve::serve(root, port)
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
    let mnist = read_mnist(&dir)?;
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
        Some("train") => Options::parse(&args[1..]).and_then(train),
        Some("evaluate") => Options::parse(&args[1..]).and_then(evaluate),
        Some("bench") => Options::parse(&args[1..]).and_then(bench),
        Some("serve") => Options::parse(&args[1..]).and_then(serve_page),
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
