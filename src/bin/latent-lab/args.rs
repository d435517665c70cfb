//! The command line's arguments (clap). The training settings' flags are not written here:
//! they come from the catalog's controls, the same schema the page builds its form from.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use latent_lab::backend::BackendRequest;
use latent_lab::catalog::{CONTROLS, Preset};
use latent_lab::data::npy::Dtype;
use latent_lab::data::poly;
use latent_lab::model::ModelKind;
use latent_lab::settings::SettingsInput;

#[derive(Parser)]
#[command(name = "latent-lab", version, about = "Train the Latent Lab models natively, make their data and train their judges")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Write the polynomial images (docs/models.md) as a .npy file
    Polydata(Polydata),
    /// Train the frozen MNIST classifier that judges the MNIST DCGAN and write its weights
    Judge(Judge),
    /// Train any of the seven models with the page's own code; write a checkpoint the page loads
    Train(Train),
    /// Print a checkpoint's test figures (autoencoders) or quality meters (GANs) as JSON
    Evaluate(Evaluate),
    /// Time training steps natively (the median of up to N steps after a warm-up step)
    Bench(Bench),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum DtypeArg {
    F32,
    /// The reference's own format
    F64,
}

impl From<DtypeArg> for Dtype {
    fn from(d: DtypeArg) -> Self {
        match d {
            DtypeArg::F32 => Dtype::F32,
            DtypeArg::F64 => Dtype::F64,
        }
    }
}

#[derive(Args)]
pub struct Polydata {
    #[arg(long, default_value = "data/polydata.npy")]
    pub out: PathBuf,
    #[arg(long, default_value_t = poly::BUILT_IN_COUNT, value_parser = clap::value_parser!(u64).range(1..=poly::MAX_POLY_IMAGES as u64).map(|n| n as usize))]
    pub count: usize,
    #[arg(long, default_value_t = poly::BUILT_IN_SEED)]
    pub seed: u64,
    #[arg(long, value_enum, default_value = "f32")]
    pub dtype: DtypeArg,
}

#[derive(Args)]
pub struct Judge {
    /// The built-in 28x28 dataset to judge (mnist or fashion)
    #[arg(long, default_value = "mnist")]
    pub dataset: String,
    /// The folder the set-up fills: DIR/NAME/ holds each built-in dataset's IDX files
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    /// Where to write the weights [default: DIR/NAME-judge.bpk, where the page looks]
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..))]
    pub epochs: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// burn-flex (SIMD): its convolutions are far faster than burn-ndarray's
    Flex,
    Ndarray,
    /// The machine's GPU (Vulkan, Metal or DX12); needs a build with `--features gpu`
    Wgpu,
}

impl From<BackendArg> for BackendRequest {
    fn from(b: BackendArg) -> Self {
        match b {
            BackendArg::Flex => BackendRequest::Flex,
            BackendArg::Ndarray => BackendRequest::Ndarray,
            BackendArg::Wgpu => BackendRequest::WebGpu,
        }
    }
}

/// Where the data is and what trains on it.
#[derive(Args)]
pub struct DataArgs {
    /// mnist, fashion, poly, or a PATH to your own data: a folder or a .zip of PNG/JPEG
    /// images (one sub-folder per class), IDX files or a .npy, resized to the model's size
    /// [default: mnist for the 28x28 models, poly for the 40x40 ones; for `evaluate`, the
    /// checkpoint's]
    #[arg(long)]
    pub dataset: Option<String>,
    /// The folder the set-up fills: DIR/mnist/ and DIR/fashion/ hold the IDX files,
    /// DIR/NAME-judge.bpk each dataset's judge
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    #[arg(long, value_enum, default_value = "flex")]
    pub backend: BackendArg,
}

#[derive(Args)]
pub struct Train {
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub settings: Settings,
    #[command(flatten)]
    pub length: Length,
    /// The checkpoint to write [default: MODEL.llck]
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The metrics file, a JSON line per epoch [default: MODEL.metrics.jsonl]
    #[arg(long)]
    pub metrics: Option<PathBuf>,
}

/// How long to train: one of the two.
#[derive(Args)]
#[group(required = true, multiple = false)]
pub struct Length {
    /// Train for N epochs (passes over the training set)
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub epochs: Option<u64>,
    /// Train for N steps
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Option<u64>,
}

/// `X,Y` as a point of the plane.
fn point(text: &str) -> Result<[f32; 2], String> {
    let values: Vec<f32> = text.split(',').map(|v| v.trim().parse::<f32>()).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    <[f32; 2]>::try_from(values).map_err(|_| format!("give two numbers, X,Y, not '{text}'"))
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    Test,
    Train,
}

#[derive(Args)]
pub struct Evaluate {
    #[command(flatten)]
    pub data: DataArgs,
    #[arg(long)]
    pub checkpoint: PathBuf,
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitArg,
    /// Print the image at the latent point X,Y instead (what the page draws there)
    #[arg(long, value_name = "X,Y", value_parser = point, allow_hyphen_values = true)]
    pub decode: Option<[f32; 2]>,
}

/// What the benchmark times by default: every model, both presets of each GAN.
const BENCH_CASES: &str = "ae,ae-classifier,vae,vae-classifier,dcgan-mnist:live,dcgan-mnist:paper,dcgan-poly:live,dcgan-poly:paper,wgan-poly:live,wgan-poly:paper";

#[derive(Args)]
pub struct Bench {
    #[command(flatten)]
    pub data: DataArgs,
    /// Models to time, each with an optional preset (MODEL[:PRESET],...)
    #[arg(long, default_value = BENCH_CASES)]
    pub cases: String,
    /// Steps timed at most per case
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..).map(|n| n as usize))]
    pub steps: usize,
    /// Seconds per case at most
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
}

/// The page's settings as flags: the model, its preset and seed, and one flag per control of
/// the catalog (`--learning-rate`, `--n-critic`, ...), checked as the page checks them.
pub struct Settings(pub SettingsInput);

impl std::ops::Deref for Settings {
    type Target = SettingsInput;
    fn deref(&self) -> &SettingsInput {
        &self.0
    }
}

impl FromArgMatches for Settings {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut input = SettingsInput {
            model: m.get_one::<String>("model").cloned(),
            preset: m.get_one::<String>("preset").cloned(),
            seed: m.get_one::<u64>("seed").map(|&s| s as f64),
            ..SettingsInput::default()
        };
        for control in &CONTROLS {
            if let Some(&value) = m.get_one::<f64>(control.field) {
                input = input.with(control.field, value);
            }
        }
        Ok(Settings(input))
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for Settings {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        let models: Vec<&'static str> = ModelKind::all().map(ModelKind::name).collect();
        let mut cmd = cmd
            .arg(Arg::new("model").long("model").required(true).value_parser(models).help("The model to train"))
            .arg(
                Arg::new("preset")
                    .long("preset")
                    .value_parser(Preset::ALL.map(Preset::name))
                    .help("The preset to start from [default: the model's first]"),
            )
            .arg(
                Arg::new("seed")
                    .long("seed")
                    .value_parser(clap::value_parser!(u64))
                    .help("Seed of the weights and the shuffling [default: 1]"),
            );
        for control in &CONTROLS {
            let value = if control.whole { "N" } else { "X" };
            let arg = Arg::new(control.field).long(control.flag()).value_name(value).value_parser(clap::value_parser!(f64));
            cmd = cmd.arg(arg.help(format!("{}: {}", control.label, control.help)));
        }
        cmd
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}
