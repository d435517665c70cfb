//! The native command line: the same session core as the page, for what a page cannot do
//! (train for hours, on a GPU machine, without a browser), and the set-up's data and judges.
//! The page's server is a crate of its own (`serve/`).
//! `latent-lab --help` lists the commands; each command's `--help` its flags.

// Native only. Cargo still builds every binary of the crate when it builds the browser
// tests for wasm32; there the command is compiled to nothing.
#![cfg_attr(target_arch = "wasm32", no_main)]
#![cfg(not(target_arch = "wasm32"))]

mod args;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use latent_lab::LabError;
use latent_lab::backend::{self, BackendKind};
use latent_lab::catalog::{Builtin, DataSlot};
use latent_lab::checkpoint::{Checkpoint, EXTENSION};
use latent_lab::data::own::{Collector, OwnSet};
use latent_lab::data::split::IDX_FILES;
use latent_lab::data::{Splits, npy, poly};
use latent_lab::model::ModelKind;
use latent_lab::session::{Datasets, JudgeOf, Session, Split};
use latent_lab::settings::Settings;
use latent_lab::train::judge::{JudgeConfig, accuracy, train_judge};
use serde_json::json;

use args::{Bench, Cli, Command, DataArgs, Evaluate, Judge, Polydata, Train};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Polydata(a) => polydata(a),
        Command::Judge(a) => judge(a),
        Command::Train(a) => train(a),
        Command::Evaluate(a) => evaluate(a),
        Command::Bench(a) => bench(a),
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

/// The four IDX files of a built-in dataset from DIR/NAME/, each raw or gzipped (`.gz`).
fn read_idx(data_dir: &Path, dataset: Builtin) -> Result<[Vec<u8>; 4], String> {
    let dir = data_dir.join(dataset.name());
    let read = |name: &str| {
        let raw = dir.join(name);
        if raw.is_file() { read_file(&raw) } else { read_file(&dir.join(format!("{name}.gz"))) }
    };
    let [a, b, c, d] = IDX_FILES.map(read);
    Ok([a?, b?, c?, d?])
}

fn judge_path(data_dir: &Path, dataset: Builtin) -> PathBuf {
    data_dir.join(format!("{}-judge.bpk", dataset.name()))
}

fn polydata(a: Polydata) -> Result<(), String> {
    let images = poly::generate(a.count, a.seed);
    let bytes = npy::write(&images, a.dtype.into());
    write_file(&a.out, &bytes)?;
    println!("wrote {} images of 40x40 (seed {}) to {} ({} bytes)", a.count, a.seed, a.out.display(), bytes.len());
    Ok(())
}

fn judge(a: Judge) -> Result<(), String> {
    let dataset = Builtin::parse(&a.dataset)
        .filter(|d| d.judged())
        .ok_or_else(|| format!("there is no judge for '{}': use mnist or fashion", a.dataset))?;
    let [w, x, y, z] = read_idx(&a.data_dir, dataset)?;
    let splits = Splits::from_idx([&w, &x, &y, &z]).map_err(|e| e.to_string())?;
    let config = JudgeConfig { epochs: a.epochs, seed: a.seed, ..JudgeConfig::default() };
    // burn-flex: its convolutions are far faster than burn-ndarray's (docs/benchmarks.md).
    let device = backend::cpu(BackendKind::Flex, "the judge is trained on the CPU").device;
    let start = Instant::now();
    let judge = train_judge(&splits.train, &device.clone().autodiff(), &config, |epoch, step, loss| {
        if step % 500 == 0 {
            println!("epoch {epoch} step {step}: loss {loss:.4} ({:.0} s)", start.elapsed().as_secs_f64());
        }
    });
    let accuracy = pollster::block_on(accuracy(&judge, &splits.test, &device)).map_err(err)?;
    let bytes = judge.to_bytes().map_err(err)?;
    let out = a.out.unwrap_or_else(|| judge_path(&a.data_dir, dataset));
    write_file(&out, &bytes)?;
    println!(
        "trained the {} judge for {} epochs (seed {}) in {:.0} s: test accuracy {:.2} %; wrote {} ({} bytes)",
        dataset.label(),
        config.epochs,
        config.seed,
        start.elapsed().as_secs_f64(),
        accuracy * 100.0,
        out.display(),
        bytes.len()
    );
    Ok(())
}

/// A session on the chosen backend with no data yet.
fn open(data: &DataArgs) -> Result<Session, String> {
    let backend = backend::select(data.backend.into()).map_err(err)?;
    let start = Instant::now();
    Ok(Session::new(backend, Box::new(move || start.elapsed().as_secs_f64() * 1e3)))
}

/// Loads the data `model` trains on, as the page does: `dataset` (a built-in dataset's name
/// or a path to your own data), or by default the model's usual built-in data; a built-in
/// 28x28 dataset comes with its judge where the set-up trained one.
fn load_data(session: &mut Session, data: &DataArgs, model: ModelKind, dataset: Option<&str>) -> Result<(), String> {
    let slot = model.slot();
    let builtin = match dataset {
        None => Some(slot.default_dataset()),
        Some(name) => Builtin::parse(name),
    };
    let loaded = match (builtin, dataset) {
        (Some(b), _) if b.slot() != slot => {
            return Err(format!(
                "{} trains on {side}x{side} images, and {} holds {}x{} ones: give one of {side}x{side}, or your own files (resized)",
                model.name(),
                b.label(),
                b.slot().side(),
                b.slot().side(),
                side = slot.side()
            ));
        }
        (Some(Builtin::Poly), _) => session.generate_polydata().map_err(err)?,
        (Some(b), _) => {
            let [w, x, y, z] = read_idx(&data.data_dir, b)?;
            let loaded = session.load_idx(b, [&w, &x, &y, &z]).map_err(|e| format!("{}: {e}", data.data_dir.join(b.name()).display()))?;
            if let Ok(bytes) = std::fs::read(judge_path(&data.data_dir, b)) {
                session.load_judge(JudgeOf::Builtin(b), bytes).map_err(|e| format!("{}: {e}", judge_path(&data.data_dir, b).display()))?;
            }
            loaded
        }
        (None, Some(path)) => session.load_own(collect(Path::new(path), slot)?).map_err(err)?,
        (None, None) => unreachable!("no name gives the default dataset"),
    };
    let s = &loaded.summary;
    let classes = if s.classes.is_empty() { "no labels".to_string() } else { format!("classes {}", s.classes.join(", ")) };
    eprintln!("data: {} ({} train, {} test images; {classes})", s.id.describe(), s.train, s.test);
    if let Some(own) = &s.own {
        let sizes: Vec<String> = own.resized_from.iter().map(|[w, h]| format!("{w}x{h}")).collect();
        if !sizes.is_empty() {
            eprintln!("  resized from {} to {}x{}", sizes.join(", "), own.side, own.side);
        }
        if !own.skipped.is_empty() {
            eprintln!("  skipped {} files that could not be decoded: {}", own.skipped.len(), own.skipped.join(", "));
        }
    }
    if let Some(notice) = &loaded.notice {
        eprintln!("  {notice}");
    }
    Ok(())
}

/// Your own data at `path` (a file, or a folder read recursively in name order), sized for
/// `slot`: the core's collector does everything but decoding PNG and JPEG, which the `image`
/// crate does here as the browser does in the page.
fn collect(path: &Path, slot: DataSlot) -> Result<OwnSet, String> {
    let mut files = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(p) = pending.pop() {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            pending.extend(entries.into_iter().rev());
        } else {
            files.push(p);
        }
    }
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let mut collector = Collector::new(slot);
    collector.check_count(&name, files.len()).map_err(|e| e.to_string())?;
    let bar = ProgressBar::new(files.len() as u64)
        .with_style(ProgressStyle::with_template("reading {pos}/{len} files {wide_bar}").map_err(|e| e.to_string())?);
    for file in &files {
        let relative = file.strip_prefix(path.parent().unwrap_or(Path::new(""))).unwrap_or(file).to_string_lossy().replace('\\', "/");
        for image in collector.add_file(&relative, read_file(file)?).map_err(|e| e.to_string())? {
            match image::load_from_memory(&image.bytes) {
                Ok(decoded) => {
                    let rgba = decoded.to_rgba8();
                    let (w, h) = rgba.dimensions();
                    collector.add_rgba(&image.path, w as usize, h as usize, rgba.as_raw()).map_err(|e| e.to_string())?;
                }
                Err(e) => collector.skip(&image.path, &e.to_string()),
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    collector.finish(&name).map_err(|e| e.to_string())
}

/// Figures of an autoencoder on a split (named in the keys: `testLoss`), or a GAN's quality
/// meters, as one JSON object: the same core functions the page's views call.
fn measure(session: &mut Session, split: Split, name: &str) -> Result<serde_json::Value, String> {
    if session.settings().model().info().family == "gan" {
        let meters = pollster::block_on(session.meters()).map_err(|e| match e {
            LabError::NoJudge(_) => format!("{e}: run the set-up or `latent-lab judge --dataset NAME`"),
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

fn train(a: Train) -> Result<(), String> {
    let mut session = open(&a.data)?;
    session.configure(&a.settings).map_err(err)?;
    let model = session.settings().model();
    load_data(&mut session, &a.data, model, a.data.dataset.as_deref())?;
    let settings = session.settings().clone();
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
    let model =
        header.settings.model.as_deref().map_or(Ok(Settings::default().model()), ModelKind::parse).map_err(|e| format!("{path}: {e}"))?;
    // Without --dataset, the data the checkpoint names (your own data must be given again).
    let trained = header.dataset.as_ref().and_then(|d| d.builtin()).map(Builtin::name);
    let own = header.dataset.as_ref().filter(|d| !d.builtin);
    if let (None, Some(own)) = (&a.data.dataset, own) {
        return Err(format!("{path} trained on {}: give the same files with --dataset PATH", own.describe()));
    }
    load_data(&mut session, &a.data, model, a.data.dataset.as_deref().or(trained))?;
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
        if session.data().train_len(kind).is_none() {
            load_data(&mut session, &a.data, kind, a.data.dataset.as_deref())?;
        }
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
