//! The native command line: the same session core as the page, for what a page cannot do
//! (train for hours, on a GPU machine, without a browser), and the set-up's data and server.
//! `latent-lab --help` lists the commands; each command's `--help` its flags.

// Native only. Cargo still builds every binary of the crate when it builds the browser
// tests for wasm32; there the command is compiled to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod args;
mod serve;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use latent_lab::LabError;
use latent_lab::backend::{self, BackendKind};
use latent_lab::catalog::Dataset;
use latent_lab::checkpoint::{Checkpoint, EXTENSION};
use latent_lab::data::mnist::FILES;
use latent_lab::data::npy;
use latent_lab::data::poly;
use latent_lab::model::ModelKind;
use latent_lab::session::{Datasets, Session, Split};
use latent_lab::train::judge::{JudgeConfig, accuracy, train_judge};
use serde_json::json;

use args::{Bench, Cli, Command, DataArgs, Evaluate, Judge, Polydata, Serve, Train};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Polydata(a) => polydata(a),
        Command::Judge(a) => judge(a),
        Command::Train(a) => train(a),
        Command::Evaluate(a) => evaluate(a),
        Command::Bench(a) => bench(a),
        Command::Serve(a) => serve_page(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("latent-lab: {message}");
            ExitCode::FAILURE
        }
    }
}

fn err(e: LabError) -> String {
    e.to_string()
}

/// Writes `bytes` to `path`, creating its folder.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_mnist(dir: &Path) -> Result<[Vec<u8>; 4], String> {
    let [a, b, c, d] = FILES.map(|name| read_file(&dir.join(name)));
    Ok([a?, b?, c?, d?])
}

fn polydata(a: Polydata) -> Result<(), String> {
    let images = poly::generate(a.count, a.seed);
    let bytes = npy::write(&images, a.dtype.into());
    write_file(&a.out, &bytes)?;
    println!("wrote {} images of 40x40 (seed {}) to {} ({} bytes)", a.count, a.seed, a.out.display(), bytes.len());
    Ok(())
}

fn judge(a: Judge) -> Result<(), String> {
    let files = read_mnist(&a.mnist)?;
    let mnist = latent_lab::data::Mnist::from_idx([&files[0], &files[1], &files[2], &files[3]]).map_err(|e| e.to_string())?;
    let config = JudgeConfig { epochs: a.epochs, seed: a.seed, ..JudgeConfig::default() };
    // burn-flex: its convolutions are far faster than burn-ndarray's (docs/benchmarks.md).
    let device = backend::cpu(BackendKind::Flex, "the judge is trained on the CPU").device;
    let start = Instant::now();
    let judge = train_judge(&mnist.train, &device.clone().autodiff(), &config, |epoch, step, loss| {
        if step % 500 == 0 {
            println!("epoch {epoch} step {step}: loss {loss:.4} ({:.0} s)", start.elapsed().as_secs_f64());
        }
    });
    let accuracy = pollster::block_on(accuracy(&judge, &mnist.test, &device)).map_err(err)?;
    let bytes = judge.to_bytes().map_err(err)?;
    write_file(&a.out, &bytes)?;
    println!(
        "trained the MNIST judge for {} epochs (seed {}) in {:.0} s: test accuracy {:.2} %; wrote {} ({} bytes)",
        config.epochs,
        config.seed,
        start.elapsed().as_secs_f64(),
        accuracy * 100.0,
        a.out.display(),
        bytes.len()
    );
    Ok(())
}

/// A session on the chosen backend with MNIST, the polynomial images given, and the judge
/// where its file exists: what the page loads, from the paths of `data`.
fn open(data: &DataArgs) -> Result<Session, String> {
    let backend = backend::select(data.backend.into()).map_err(err)?;
    let start = Instant::now();
    let mut session = Session::new(backend, Box::new(move || start.elapsed().as_secs_f64() * 1e3));
    let [a, b, c, d] = read_mnist(&data.mnist)?;
    session.load_mnist([&a, &b, &c, &d]).map_err(|e| format!("{}: {e}", data.mnist.display()))?;
    if let Some(path) = &data.polydata {
        session.load_polydata(&path.display().to_string(), &read_file(path)?).map_err(err)?;
    }
    if let Ok(bytes) = std::fs::read(&data.judge) {
        session.load_judge(bytes).map_err(|e| format!("{}: {e}", data.judge.display()))?;
    }
    Ok(session)
}

/// Figures of an autoencoder on a split (named in the keys: `testLoss`), or a GAN's quality
/// meters, as one JSON object: the same core functions the page's views call.
fn measure(session: &mut Session, split: Split, name: &str) -> Result<serde_json::Value, String> {
    if session.settings().model().info().family == "gan" {
        let meters = pollster::block_on(session.meters()).map_err(|e| match e {
            LabError::NoJudge => format!("{e}: run the set-up or `latent-lab judge`, or pass --judge PATH"),
            e => e.to_string(),
        })?;
        return serde_json::to_value(meters).map_err(|e| e.to_string());
    }
    let r = pollster::block_on(session.evaluate(split)).map_err(err)?;
    let mut figures = serde_json::Map::new();
    for (figure, value) in [("Loss", Some(r.loss)), ("Mse", Some(r.mse)), ("Kl", r.kl), ("Accuracy", r.accuracy)] {
        figures.insert(format!("{name}{figure}"), json!(value));
    }
    Ok(figures.into())
}

/// Makes the built-in polynomial images when `model` trains on them and no file gave them, as
/// the page does: only then, as they take a moment.
fn ensure_data(session: &mut Session, model: ModelKind) -> Result<(), String> {
    if model.dataset() == Dataset::Poly && session.data().train_len(model).is_none() {
        session.generate_polydata().map_err(err)?;
    }
    Ok(())
}

fn train(a: Train) -> Result<(), String> {
    let mut session = open(&a.data)?;
    session.configure(&a.settings).map_err(err)?;
    let settings = session.settings().clone();
    let model = settings.model();
    ensure_data(&mut session, model)?;
    let len = session.data().train_len(model).ok_or_else(|| Datasets::missing(model).to_string())?;
    // An epoch is a pass over the training set in batches (the last one partial); a WGAN step
    // takes a real batch for each critic update.
    let per_epoch = len.div_ceil(settings.recipe.batch_size()).div_ceil(settings.recipe.batches_per_step()) as u64;
    let total = a.length.steps.unwrap_or_else(|| a.length.epochs.unwrap_or(1) * per_epoch);
    let out = a.out.unwrap_or_else(|| format!("{}.{EXTENSION}", model.name()).into());
    let metrics_path = a.metrics.unwrap_or_else(|| format!("{}.metrics.jsonl", model.name()).into());
    println!("training {} ({}) for {total} steps on {}", model.name(), session.config().preset_text, session.backend().label);
    let mut log = String::new();
    let bar = ProgressBar::new(total)
        .with_style(ProgressStyle::with_template("{percent:>3}% step {pos}/{len} {per_sec} ETA {eta} {msg}").map_err(|e| e.to_string())?);
    let start = Instant::now();
    // Per-step figures summed over the current epoch: (name, sum, count).
    let (mut last_epoch, mut sums): (u64, Vec<(&str, f64, usize)>) = (0, Vec::new());
    while session.step_count().map_err(err)? < total {
        // Read back every 50 steps (often enough for the progress bar, rarely enough not to
        // stall the CPU) and at the end of each epoch.
        let done = session.step_count().map_err(err)?;
        let chunk = 50.min(total - done).min(per_epoch - done % per_epoch) as u32;
        let trained = pollster::block_on(session.train(chunk)).map_err(err)?;
        if let Some(d) = trained.diverged {
            return Err(format!("training stopped: {}; try a lower learning rate", d.message));
        }
        let r = trained.report;
        for (figure, values) in &r.series {
            let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
            match sums.iter_mut().find(|(n, ..)| *n == figure.name()) {
                Some(entry) => (entry.1, entry.2) = (entry.1 + sum, entry.2 + values.len()),
                None => sums.push((figure.name(), sum, values.len())),
            }
        }
        bar.set_position(r.step);
        let shown: Vec<String> = r.series.iter().take(2).map(|(f, v)| format!("{} {:.4}", f.name(), mean(v))).collect();
        bar.set_message(format!("epoch {}  {}", r.epoch, shown.join("  ")));
        // Each finished epoch (and the end) is scored like the reference scores it: the
        // training figures averaged over the epoch's steps, the test set's (or the meters).
        if r.epoch > last_epoch || r.step == total {
            last_epoch = r.epoch;
            let mut record = measure(&mut session, Split::Test, "test")?;
            record["step"] = json!(r.step);
            record["epoch"] = json!(r.epoch as f64 + r.epoch_progress);
            record["seconds"] = json!(start.elapsed().as_secs_f64());
            for (name, sum, count) in sums.drain(..) {
                record[name] = json!(sum / count.max(1) as f64);
            }
            log.push_str(&format!("{record}\n"));
            write_file(&metrics_path, log.as_bytes())?;
            bar.println(record.to_string());
        }
    }
    bar.finish_and_clear();
    let bytes = pollster::block_on(session.checkpoint()).map_err(err)?.to_bytes();
    write_file(&out, &bytes)?;
    let elapsed = indicatif::HumanDuration(start.elapsed());
    println!("wrote {} ({} bytes) and {} in {elapsed}", out.display(), bytes.len(), metrics_path.display());
    Ok(())
}

fn mean(values: &[f32]) -> f64 {
    values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len().max(1) as f64
}

fn evaluate(a: Evaluate) -> Result<(), String> {
    let mut session = open(&a.data)?;
    let path = a.checkpoint.display().to_string();
    let bytes = read_file(&a.checkpoint)?;
    let header = Checkpoint::from_bytes(&bytes).map_err(|e| format!("{path}: {e}"))?.header;
    if let Some(model) = header.settings.model.as_deref().and_then(|name| ModelKind::parse(name).ok()) {
        ensure_data(&mut session, model)?;
    }
    let resumed = session.load_checkpoint(&bytes).map_err(|e| format!("{path}: {e}"))?;
    let model = session.settings().model().name();
    let report = match a.decode {
        Some(xy) => {
            let image = pollster::block_on(session.images_at(&xy)).map_err(err)?;
            json!({ "model": model, "point": xy, "image": image })
        }
        None => {
            let split = if a.split == args::SplitArg::Train { Split::Train } else { Split::Test };
            let name = if split == Split::Train { "train" } else { "test" };
            let mut r = measure(&mut session, split, name)?;
            r["model"] = json!(model);
            r["step"] = json!(resumed.step);
            r
        }
    };
    println!("{report}");
    Ok(())
}

fn bench(a: Bench) -> Result<(), String> {
    let mut rows = Vec::new();
    let mut session = open(&a.data)?;
    for case in a.cases.split(',') {
        let (model, preset) = case.split_once(':').map_or((case, None), |(m, p)| (m, Some(p.to_string())));
        let input = latent_lab::settings::SettingsInput { model: Some(model.into()), preset, ..Default::default() };
        session.configure(&input).map_err(|e| format!("{case}: {e}"))?;
        let kind = session.settings().model();
        ensure_data(&mut session, kind)?;
        let mut step = || -> Result<f64, String> {
            let t0 = Instant::now();
            pollster::block_on(session.train(1)).map_err(err)?;
            Ok(t0.elapsed().as_secs_f64() * 1e3)
        };
        step()?; // warm-up: first-call allocations
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < a.steps && (times.is_empty() || start.elapsed().as_secs_f64() < a.seconds) {
            times.push(step()?);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        let flops = session.flops_per_step().map_err(err)?;
        let row = json!({
            "case": case, "model": model, "preset": session.config().preset_text, "backend": session.backend().label,
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
            r["case"].as_str().unwrap_or("?"),
            r["steps"],
            f("msPerStep"),
            f("stepsPerSec"),
            f("flopsPerStep") / 1e9,
            f("gflopsPerSec")
        );
    }
    Ok(())
}

fn serve_page(a: Serve) -> Result<(), String> {
    if !a.root.join("index.html").is_file() {
        return Err(format!("{} has no index.html: run from the repository or pass --root DIR", a.root.display()));
    }
    serve::serve(&a.root, a.port)
}
