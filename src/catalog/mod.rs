//! The seven models, described once: their names and labels, what each one can show, their
//! presets, and the controls (hyper-parameters) a user can change. The page builds its model
//! menu, its form and its links from this table (through [`Catalog`]), the command line its
//! flags, and checkpoints store settings under the same field names. A hyper-parameter is
//! added in [`CONTROLS`] alone (with the field of [`TrainConfig`] or [`GanConfig`] it sets).

use serde::Serialize;

pub use crate::data::builtin::{Builtin, DataSlot, DatasetInfo};
use crate::error::{LabError, shown};
use crate::model::{Footprint, GanKind, LatentKind, ModelKind};
use crate::train::{GanConfig, GanLayers, GanRule, Recipe, TrainConfig};

mod about;
mod controls;
mod diagram;

pub use controls::{CONTROLS, Control};

/// The reference's weight of the VAE's KL term.
pub const PAPER_BETA: f64 = 0.01;
/// Test images evaluated between epochs and drawn in the scatter: a fixed random subset,
/// large enough for a stable figure, small enough to evaluate often on a CPU.
pub const EVAL_SUBSET: usize = 2000;
/// What a rollback after a divergence multiplies every learning rate by.
pub const ROLLBACK_FACTOR: f64 = 0.1;
/// What one training step's activations and their gradients may take: a wasm32 instance
/// holds at most 4 GiB, and the data, the weights, the optimiser and the allocator's slack
/// need the rest.
pub const STEP_MEMORY: u64 = 2 << 30;
/// The largest whole number the page takes (seeds, step counts): 2^53 - 1, the largest a
/// JavaScript number holds exactly.
pub const MAX_WHOLE: u64 = (1 << 53) - 1;

/// What bounds a model's batch (see [`Recipe::max_batch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// What a training step keeps, in [`STEP_MEMORY`].
    Memory,
    /// The widest tensor, in the GPU's largest buffer (of this many bytes).
    Buffer(u64),
}

/// What a model's settings must fit: its training set, once loaded, and on a GPU the largest
/// buffer the device holds, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Room {
    pub train_len: Option<usize>,
    pub max_buffer: Option<u64>,
}

impl From<Option<usize>> for Room {
    /// The room of a training set of this size (if loaded) on the CPU.
    fn from(train_len: Option<usize>) -> Self {
        Room { train_len, max_buffer: None }
    }
}

/// Which settings a model starts from: the reference's, or narrower layers and smaller
/// batches that show recognisable results within minutes on a CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Paper,
    Live,
}

impl Preset {
    pub const ALL: [Preset; 2] = [Preset::Paper, Preset::Live];

    pub fn name(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::Live => "live",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Paper => "paper: the reference's layers (for WebGPU on a real GPU)",
            Self::Live => "live: narrow layers, small batches (minutes on a CPU)",
        }
    }
}

/// What the page needs to know about a model to show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub name: &'static str,
    pub label: &'static str,
    /// The heading the model menu lists it under.
    pub group: &'static str,
    /// `latent` (autoencoders) or `gan`.
    pub family: &'static str,
    pub slot: DataSlot,
    /// Side of the images the model makes (and trains on), in pixels.
    pub image_side: usize,
    /// Whether a point of the plane can be turned into an image: a 2-D latent code, or a GAN's
    /// 2-D noise (the MNIST DCGAN's noise has 100 dimensions).
    pub plane: bool,
    /// Whether its codes are sampled (a KL term; sampled or mean codes in the scatter).
    pub variational: bool,
    /// Whether it has a latent classifier head (and reports accuracy).
    pub classifier: bool,
    /// Whether its critic estimates a Wasserstein distance (what its loss chart shows).
    pub wasserstein: bool,
    /// Whether its quality meters need the frozen MNIST judge.
    pub judged: bool,
    /// Samples per side of a GAN's sample grid (0 for the autoencoders).
    pub grid_side: usize,
    /// Its presets, the one a new run starts from first.
    pub presets: Vec<PresetInfo>,
    /// What it does, for a student (see `about.rs`).
    pub about: &'static str,
    /// What to look for while it trains.
    pub look_for: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct PresetInfo {
    pub name: &'static str,
    pub label: &'static str,
}

/// The models by the names the page, links and the command line use, in the page's order:
/// `(kind, name, label)`.
const MODELS: [(ModelKind, &str, &str); 7] = [
    (ModelKind::Latent(LatentKind::Autoencoder), "ae", "Autoencoder"),
    (ModelKind::Latent(LatentKind::AutoencoderClassifier), "ae-classifier", "Autoencoder + latent classifier"),
    (ModelKind::Latent(LatentKind::Vae), "vae", "Variational autoencoder"),
    (ModelKind::Latent(LatentKind::VaeClassifier), "vae-classifier", "VAE + latent classifier"),
    (ModelKind::Gan(GanKind::DcganMnist), "dcgan-mnist", "DCGAN on MNIST"),
    (ModelKind::Gan(GanKind::DcganPoly), "dcgan-poly", "DCGAN on polynomial images"),
    (ModelKind::Gan(GanKind::WganPoly), "wgan-poly", "WGAN on polynomial images"),
];

impl ModelKind {
    pub fn all() -> impl Iterator<Item = ModelKind> {
        MODELS.iter().map(|&(kind, ..)| kind)
    }

    pub fn parse(name: &str) -> Result<Self, LabError> {
        MODELS.iter().find(|(_, n, _)| *n == name).map(|&(kind, ..)| kind).ok_or_else(|| {
            let known: Vec<&str> = MODELS.iter().map(|(_, n, _)| *n).collect();
            LabError::invalid("model", format!("unknown model '{name}': use one of {}", known.join(", ")))
        })
    }

    pub fn name(self) -> &'static str {
        MODELS.iter().find(|(k, ..)| *k == self).map_or("?", |(_, n, _)| n)
    }

    pub fn slot(self) -> DataSlot {
        match self {
            ModelKind::Latent(_) | ModelKind::Gan(GanKind::DcganMnist) => DataSlot::Side28,
            ModelKind::Gan(GanKind::DcganPoly | GanKind::WganPoly) => DataSlot::Side40,
        }
    }

    /// Side of the images the model makes (and trains on).
    pub fn image_side(self) -> usize {
        self.slot().side()
    }

    /// Its presets; a new run of the model starts from the first.
    pub fn presets(self) -> &'static [Preset] {
        match self {
            ModelKind::Latent(_) => &[Preset::Paper],
            // A new GAN starts live: its paper preset takes hours on a CPU.
            ModelKind::Gan(_) => &[Preset::Live, Preset::Paper],
        }
    }

    pub fn parse_preset(self, name: &str) -> Result<Preset, LabError> {
        let presets = self.presets();
        presets.iter().copied().find(|p| p.name() == name).ok_or_else(|| {
            let known: Vec<&str> = presets.iter().map(|p| p.name()).collect();
            LabError::invalid("preset", format!("the model {} has no preset '{name}': use {}", self.name(), known.join(" or ")))
        })
    }

    pub fn info(self) -> ModelInfo {
        let label = MODELS.iter().find(|(k, ..)| *k == self).map_or("?", |(.., l)| l);
        let (group, family, variational, classifier) = match self {
            ModelKind::Latent(kind) => ("Autoencoders", "latent", kind.is_variational(), kind.has_classifier()),
            ModelKind::Gan(_) => ("GANs", "gan", false, false),
        };
        let gan = |kind| self == ModelKind::Gan(kind);
        let (about, look_for) = about::about(self);
        ModelInfo {
            name: self.name(),
            label,
            group,
            family,
            slot: self.slot(),
            image_side: self.image_side(),
            plane: !gan(GanKind::DcganMnist),
            variational,
            classifier,
            wasserstein: gan(GanKind::WganPoly),
            judged: gan(GanKind::DcganMnist),
            // The reference's 4 x 4 for MNIST, more of the smaller polynomial images.
            grid_side: match self {
                ModelKind::Latent(_) => 0,
                ModelKind::Gan(GanKind::DcganMnist) => 4,
                ModelKind::Gan(_) => 6,
            },
            presets: self.presets().iter().map(|p| PresetInfo { name: p.name(), label: p.label() }).collect(),
            about,
            look_for,
        }
    }

    /// The networks and settings of `preset`, seeded by `seed`: the one table of presets.
    /// The paper presets are docs/models.md's. The live GAN presets are narrower with smaller
    /// batches, learn faster on a CPU, and sample from a moving average of the generator's
    /// weights; the live MNIST DCGAN's discriminator has batch norm in place of dropout and
    /// both its players take Adam with beta1 0.5, as in the DCGAN paper (Radford et al. 2016),
    /// because the reference's discriminator at these widths stays near a judge confidence
    /// of 0.8 however it is trained. What was tried: docs/experiments/gans.md.
    pub fn recipe(self, preset: Preset, seed: u64) -> Recipe {
        let gan = |kind, (generator, critic, critic_batch_norm), batch_size, (lr_generator, lr_critic), rule, ema| {
            let layers = GanLayers { generator, critic, critic_batch_norm };
            Recipe::Gan(kind, layers, GanConfig { lr_generator, lr_critic, batch_size, seed, rule, ema })
        };
        let wgan = |n_critic, clip| GanRule::Wasserstein { n_critic, clip };
        // Keras' default beta1, and the DCGAN paper's.
        let (keras, paper) = (GanRule::JointBce { beta1: 0.9 }, GanRule::JointBce { beta1: 0.5 });
        let alternating = GanRule::AlternatingBce { beta1: 0.5 };
        use GanKind::*;
        match (self, preset) {
            (ModelKind::Latent(kind), _) => {
                let batch_size = if kind.is_variational() { 128 } else { 256 };
                Recipe::Latent(kind, TrainConfig { learning_rate: 1e-3, batch_size, seed, beta: PAPER_BETA })
            }
            (ModelKind::Gan(k @ DcganMnist), Preset::Paper) => gan(k, (256, 64, false), 256, (1e-4, 5e-5), keras, 0.0),
            (ModelKind::Gan(k @ DcganMnist), Preset::Live) => gan(k, (32, 16, true), 32, (5e-4, 5e-4), paper, 0.99),
            (ModelKind::Gan(k @ DcganPoly), Preset::Paper) => gan(k, (128, 16, false), 128, (2e-4, 2e-4), alternating, 0.0),
            (ModelKind::Gan(k @ DcganPoly), Preset::Live) => gan(k, (8, 8, false), 16, (1e-3, 5e-4), alternating, 0.99),
            (ModelKind::Gan(k @ WganPoly), Preset::Paper) => gan(k, (128, 128, false), 128, (5e-5, 5e-5), wgan(5, 0.01), 0.0),
            (ModelKind::Gan(k @ WganPoly), Preset::Live) => gan(k, (16, 8, false), 16, (1e-3, 5e-4), wgan(2, 0.2), 0.99),
        }
    }
}

impl Recipe {
    pub fn model(&self) -> ModelKind {
        match self {
            Recipe::Latent(kind, _) => ModelKind::Latent(*kind),
            Recipe::Gan(kind, ..) => ModelKind::Gan(*kind),
        }
    }

    pub fn seed(&self) -> u64 {
        match self {
            Recipe::Latent(_, c) => c.seed,
            Recipe::Gan(_, _, c) => c.seed,
        }
    }

    pub fn set_seed(&mut self, seed: u64) {
        match self {
            Recipe::Latent(_, c) => c.seed = seed,
            Recipe::Gan(_, _, c) => c.seed = seed,
        }
    }

    pub fn batch_size(&self) -> usize {
        match self {
            Recipe::Latent(_, c) => c.batch_size,
            Recipe::Gan(_, _, c) => c.batch_size,
        }
    }

    pub fn batch_size_mut(&mut self) -> &mut usize {
        match self {
            Recipe::Latent(_, c) => &mut c.batch_size,
            Recipe::Gan(_, _, c) => &mut c.batch_size,
        }
    }

    /// Real batches one step takes: a WGAN step takes one for each critic update.
    pub fn batches_per_step(&self) -> usize {
        match self {
            Recipe::Gan(_, _, GanConfig { rule: GanRule::Wasserstein { n_critic, .. }, .. }) => *n_critic,
            _ => 1,
        }
    }

    /// What one sample takes in a training step: the model's image for the autoencoders;
    /// for the GANs the generator's and the critic's on a real and a fake image (the critic's
    /// update; the generator's takes one critic pass less).
    pub fn footprint(&self) -> Footprint {
        match self {
            Recipe::Latent(kind, _) => kind.shape().footprint(kind.is_variational()),
            Recipe::Gan(GanKind::DcganMnist, layers, _) => {
                let (generator, critic) = layers.mnist();
                Footprint::gan(generator.footprint(), critic.footprint())
            }
            Recipe::Gan(GanKind::DcganPoly | GanKind::WganPoly, layers, _) => {
                let (generator, critic) = layers.poly();
                Footprint::gan(generator.footprint(), critic.footprint())
            }
        }
    }

    /// The largest batch that fits, and what bounds it: the step's kept floats in
    /// [`STEP_MEMORY`] at four bytes each (a gradient lives only while the backward pass goes
    /// through its layer), and on a GPU its widest tensor in the device's largest buffer. The
    /// memory bound matches what the page was seen to take: the autoencoder at 60,000 in
    /// 1.2 GB, the live MNIST DCGAN at 8,192, and not at 20,000, where it ran out of memory.
    pub fn max_batch(&self, max_buffer: Option<u64>) -> (usize, Bound) {
        let footprint = self.footprint();
        let memory = STEP_MEMORY / (4 * footprint.kept);
        let buffer = max_buffer.map(|bytes| (bytes / (4 * footprint.widest), Bound::Buffer(bytes)));
        let (most, bound) = buffer.filter(|&(most, _)| most < memory).unwrap_or((memory, Bound::Memory));
        (usize::try_from(most.max(1)).unwrap_or(usize::MAX), bound)
    }

    /// Refuses values that cannot train in `room`: batches larger than its training set or
    /// than fits in memory or in the device's largest buffer.
    pub fn validate(&self, room: Room) -> Result<(), LabError> {
        let train_len = room.train_len.unwrap_or(usize::MAX);
        let (batch, (most, bound)) = (self.batch_size(), self.max_batch(room.max_buffer));
        if batch > most && most < train_len {
            let footprint = self.footprint();
            // Megabytes to two significant digits: a sample of the autoencoder's widest layer
            // is 0.0031 MB, of the MNIST DCGAN's step 0.23 MB.
            let mb = |floats: u64| {
                let mb = (4 * floats) as f64 / 1e6;
                let scale = 10f64.powi((1 - mb.log10().floor() as i32).max(0));
                shown((mb * scale).round() / scale)
            };
            let why = match bound {
                Bound::Buffer(bytes) => format!(
                    "its widest layer takes about {} MB a sample, and this GPU holds at most {} MB in one buffer",
                    mb(footprint.widest),
                    shown((bytes as f64 / 1e6).round())
                ),
                Bound::Memory => {
                    format!("a step takes about {} MB a sample, and a browser tab holds about {} GB", mb(footprint.kept), STEP_MEMORY >> 30)
                }
            };
            return Err(LabError::invalid(
                "batchSize",
                format!("the batch size must be at most {most} for this model, not {batch}: {why}"),
            ));
        }
        match self {
            Recipe::Latent(_, c) => c.validate(train_len),
            Recipe::Gan(_, _, c) => c.validate(train_len),
        }
    }

    /// A one-line description, e.g. "paper (Adam 1e-3, batch 256)".
    pub fn describe(&self, preset: Preset) -> String {
        match self {
            Recipe::Latent(kind, c) => {
                let beta = if kind.is_variational() { format!(", beta {}", c.beta) } else { String::new() };
                format!("{} (Adam {}, batch {}{beta})", preset.name(), short(c.learning_rate), c.batch_size)
            }
            Recipe::Gan(_, layers, c) => {
                let rates = format!("G {} / D {}", short(c.lr_generator), short(c.lr_critic));
                let optimiser = match c.rule {
                    GanRule::Wasserstein { n_critic, clip } => format!("RMSProp {rates}, {n_critic} critic steps, clip {clip}"),
                    GanRule::JointBce { beta1 } | GanRule::AlternatingBce { beta1 } => format!("Adam {rates}, beta1 {beta1}"),
                };
                format!(
                    "{} (G width {}, D width {}{}, batch {}, {optimiser}{})",
                    preset.name(),
                    layers.generator,
                    layers.critic,
                    if layers.critic_batch_norm { " with batch norm" } else { "" },
                    c.batch_size,
                    if c.ema > 0.0 { format!(", samples from a {} weight average", c.ema) } else { String::new() }
                )
            }
        }
    }
}

/// 0.001 -> "1e-3", 0.0002 -> "2e-4": how learning rates are written in papers.
fn short(v: f64) -> String {
    let exp = v.log10().floor();
    let mantissa = v / 10f64.powf(exp);
    if (mantissa - mantissa.round()).abs() < 1e-9 { format!("{}e{}", mantissa.round(), exp) } else { v.to_string() }
}

/// Everything the page learns about the models before it shows one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub models: Vec<ModelInfo>,
    /// The built-in datasets.
    pub datasets: Vec<DatasetInfo>,
    pub controls: &'static [Control],
    /// Every key a link may carry: the model, its seed and preset, and each control.
    pub link_keys: Vec<&'static str>,
    pub eval_subset: usize,
    pub rollback_factor: f64,
}

pub fn catalog() -> Catalog {
    let mut link_keys = vec!["model", "seed", "preset"];
    link_keys.extend(CONTROLS.iter().map(|c| c.field));
    Catalog {
        models: ModelKind::all().map(ModelKind::info).collect(),
        datasets: Builtin::ALL.map(Builtin::info).to_vec(),
        controls: &CONTROLS,
        link_keys,
        eval_subset: EVAL_SUBSET,
        rollback_factor: ROLLBACK_FACTOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page reads each model's words under these names (www/js/help.js, `showAbout`).
    #[test]
    fn the_page_gets_each_models_words() {
        let json = serde_json::to_value(catalog()).unwrap();
        for model in json["models"].as_array().unwrap() {
            for key in ["about", "lookFor"] {
                assert!(model[key].as_str().is_some_and(|text| !text.is_empty()), "{key} of {}", model["name"]);
            }
        }
    }

    #[test]
    fn learning_rates_read_like_papers() {
        assert_eq!((short(1e-3), short(2e-4), short(5e-5)), ("1e-3".into(), "2e-4".into(), "5e-5".into()));
    }
}
