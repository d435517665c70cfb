//! What a session trains and with which settings, and how a request from the page changes
//! them. Kept apart from the wasm facade so that the rules (a new model starts from its
//! preset, a new seed or architecture restarts training, bad values change nothing) are
//! tested natively.

use serde::{Deserialize, Serialize};

use crate::error::LabError;
use crate::model::{GanKind, LatentKind, ModelKind};
use crate::train::TrainConfig;
use crate::train::gan::{GanConfig, GanLayers, GanPreset, GanRule};

/// The reference's weight of the VAE's KL term.
pub const PAPER_BETA: f64 = 0.01;

/// A change as the page sends it; any subset of fields. Numbers arrive as f64 so that NaN,
/// fractions and negatives reach validation and get a clear message rather than a
/// deserialisation error. A checkpoint stores its settings in this form too, so that loading
/// one goes through the same validation as a request from the page.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    pub model: Option<String>,
    pub seed: Option<f64>,
    pub batch_size: Option<f64>,
    /// Autoencoders.
    pub learning_rate: Option<f64>,
    pub beta: Option<f64>,
    /// GANs: `paper` or `live`.
    pub preset: Option<String>,
    pub lr_generator: Option<f64>,
    pub lr_critic: Option<f64>,
    /// WGAN.
    pub n_critic: Option<f64>,
    pub clip: Option<f64>,
    /// GANs: decay of the generator's moving average that makes the samples (0: none).
    pub ema: Option<f64>,
}

/// The editable values, as the page shows them (`None` for fields the model does not have).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Values {
    pub batch_size: usize,
    pub learning_rate: Option<f64>,
    pub beta: Option<f64>,
    pub lr_generator: Option<f64>,
    pub lr_critic: Option<f64>,
    pub n_critic: Option<usize>,
    pub clip: Option<f64>,
    pub ema: Option<f64>,
}

/// What the page shows of the settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsOutput {
    pub model: &'static str,
    /// `latent` or `gan`.
    pub family: &'static str,
    /// Side of the model's images in pixels.
    pub image_side: usize,
    /// Whether a point of the plane can be turned into an image (see [`ModelKind::has_plane`]).
    pub plane: bool,
    pub seed: u64,
    /// `paper` or `live` (the autoencoders only have the paper preset).
    pub preset: &'static str,
    /// A one-line description of the preset, e.g. "paper (Adam 1e-3, batch 256)".
    pub preset_text: String,
    pub values: Values,
    /// The preset's own values, so that the page can tell "custom" while the user types.
    pub preset_values: Values,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub model: ModelKind,
    pub latent: TrainConfig,
    pub gan_preset: GanPreset,
    pub gan: GanConfig,
}

impl Default for Settings {
    fn default() -> Self {
        let (batch_size, learning_rate) = LatentKind::Autoencoder.paper_preset();
        let seed = 1;
        let gan_preset = GanPreset::Live;
        Settings {
            model: ModelKind::Latent(LatentKind::Autoencoder),
            latent: TrainConfig { learning_rate, batch_size, seed, beta: PAPER_BETA },
            gan_preset,
            gan: GanKind::WganPoly.preset(gan_preset, seed).1,
        }
    }
}

fn whole_number(field: &'static str, what: &str, v: f64) -> Result<u64, LabError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 2f64.powi(53) {
        Ok(v as u64)
    } else {
        Err(LabError::invalid(field, format!("the {what} must be a whole number, not {v}")))
    }
}

/// Refuses a setting the model does not have (a beta for a GAN, a clip value for a DCGAN),
/// rather than silently ignoring it.
fn foreign(model: ModelKind, fields: &[(bool, &'static str)]) -> Result<(), LabError> {
    match fields.iter().find(|(given, _)| *given) {
        Some(&(_, field)) => Err(LabError::invalid(field, format!("the model {} has no setting '{field}'", model.name()))),
        None => Ok(()),
    }
}

impl Settings {
    pub fn seed(&self) -> u64 {
        self.latent.seed
    }

    pub fn set_seed(&mut self, seed: u64) {
        self.latent.seed = seed;
        self.gan.seed = seed;
    }

    /// The settings after `input`, and whether training must restart (a new model, seed or
    /// architecture). `train_len(model)` is the size of that model's training set, if loaded.
    /// Nothing changes on an error.
    pub fn apply(&self, input: &SettingsInput, train_len: impl Fn(ModelKind) -> Option<usize>) -> Result<(Self, bool), LabError> {
        let model = match &input.model {
            Some(name) => ModelKind::parse(name)?,
            None => self.model,
        };
        let mut next = self.clone();
        next.model = model;
        if let Some(seed) = input.seed {
            next.set_seed(whole_number("seed", "seed", seed)?);
        }
        let seed = next.seed();
        let batch = input.batch_size.map(|b| whole_number("batchSize", "batch size", b)).transpose()?;
        let len = train_len(model).unwrap_or(usize::MAX);
        match model {
            ModelKind::Latent(kind) => {
                foreign(model, &[
                    (input.preset.is_some(), "preset"),
                    (input.lr_generator.is_some(), "lrGenerator"),
                    (input.lr_critic.is_some(), "lrCritic"),
                    (input.n_critic.is_some(), "nCritic"),
                    (input.clip.is_some(), "clip"),
                    (input.ema.is_some(), "ema"),
                ])?;
                let c = &mut next.latent;
                if model != self.model {
                    // A new model starts from its paper preset, not from settings tuned for another.
                    (c.batch_size, c.learning_rate) = kind.paper_preset();
                    c.beta = PAPER_BETA;
                }
                c.batch_size = batch.map_or(c.batch_size, |b| b as usize);
                c.learning_rate = input.learning_rate.unwrap_or(c.learning_rate);
                c.beta = input.beta.unwrap_or(c.beta);
                c.validate(len)?;
            }
            ModelKind::Gan(kind) => {
                foreign(model, &[(input.learning_rate.is_some(), "learningRate"), (input.beta.is_some(), "beta")])?;
                let preset = match &input.preset {
                    Some(name) => GanPreset::parse(name)?,
                    // A new GAN starts live: its paper preset takes hours on a CPU.
                    None if model != self.model => GanPreset::Live,
                    None => self.gan_preset,
                };
                if model != self.model || preset != self.gan_preset {
                    next.gan_preset = preset;
                    next.gan = kind.preset(preset, seed).1;
                }
                let c = &mut next.gan;
                c.batch_size = batch.map_or(c.batch_size, |b| b as usize);
                c.lr_generator = input.lr_generator.unwrap_or(c.lr_generator);
                c.lr_critic = input.lr_critic.unwrap_or(c.lr_critic);
                c.ema = input.ema.unwrap_or(c.ema);
                match &mut c.rule {
                    GanRule::Wasserstein { n_critic, clip } => {
                        if let Some(n) = input.n_critic {
                            *n_critic = whole_number("nCritic", "number of critic updates", n)? as usize;
                        }
                        *clip = input.clip.map_or(*clip, |v| v as f32);
                    }
                    GanRule::JointBce { .. } | GanRule::AlternatingBce { .. } => {
                        foreign(model, &[(input.n_critic.is_some(), "nCritic"), (input.clip.is_some(), "clip")])?;
                    }
                }
                c.validate(len)?;
            }
        }
        let restart = next.model != self.model || next.seed() != self.seed() || next.gan_preset != self.gan_preset;
        Ok((next, restart))
    }

    /// Every field that [`Settings::apply`] needs to rebuild these settings from the default.
    pub fn input(&self) -> SettingsInput {
        let mut input = SettingsInput {
            model: Some(self.model.name().into()),
            seed: Some(self.seed() as f64),
            ..SettingsInput::default()
        };
        match self.model {
            ModelKind::Latent(_) => {
                input.batch_size = Some(self.latent.batch_size as f64);
                input.learning_rate = Some(self.latent.learning_rate);
                input.beta = Some(self.latent.beta);
            }
            ModelKind::Gan(_) => {
                let c = &self.gan;
                input.preset = Some(self.gan_preset.name().into());
                input.batch_size = Some(c.batch_size as f64);
                input.lr_generator = Some(c.lr_generator);
                input.lr_critic = Some(c.lr_critic);
                input.ema = Some(c.ema);
                if let GanRule::Wasserstein { n_critic, clip } = c.rule {
                    input.n_critic = Some(n_critic as f64);
                    input.clip = Some(f64::from(clip));
                }
            }
        }
        input
    }

    /// The layers of the current GAN's preset.
    pub fn gan_layers(&self, kind: GanKind) -> GanLayers {
        kind.preset(self.gan_preset, self.seed()).0
    }

    pub fn output(&self) -> SettingsOutput {
        let seed = self.seed();
        match self.model {
            ModelKind::Latent(kind) => {
                let values = |c: &TrainConfig| Values {
                    batch_size: c.batch_size,
                    learning_rate: Some(c.learning_rate),
                    beta: matches!(kind, LatentKind::Vae | LatentKind::VaeClassifier).then_some(c.beta),
                    lr_generator: None,
                    lr_critic: None,
                    n_critic: None,
                    clip: None,
                    ema: None,
                };
                let (batch_size, learning_rate) = kind.paper_preset();
                let paper = TrainConfig { learning_rate, batch_size, seed, beta: PAPER_BETA };
                let beta = values(&paper).beta.map_or(String::new(), |b| format!(", beta {b}"));
                SettingsOutput {
                    model: self.model.name(),
                    family: "latent",
                    image_side: self.model.image_side(),
                    plane: self.model.has_plane(),
                    seed,
                    preset: "paper",
                    preset_text: format!("paper (Adam {}, batch {batch_size}{beta})", short(learning_rate)),
                    values: values(&self.latent),
                    preset_values: values(&paper),
                }
            }
            ModelKind::Gan(kind) => {
                let values = |c: &GanConfig| {
                    let (n_critic, clip) = match c.rule {
                        // Through its shortest decimal form, so that 0.01f32 shows as 0.01.
                        GanRule::Wasserstein { n_critic, clip } => (Some(n_critic), clip.to_string().parse().ok()),
                        _ => (None, None),
                    };
                    Values {
                        batch_size: c.batch_size,
                        learning_rate: None,
                        beta: None,
                        lr_generator: Some(c.lr_generator),
                        lr_critic: Some(c.lr_critic),
                        n_critic,
                        clip,
                        ema: Some(c.ema),
                    }
                };
                let (layers, preset) = kind.preset(self.gan_preset, seed);
                let rates = format!("G {} / D {}", short(preset.lr_generator), short(preset.lr_critic));
                let optimiser = match preset.rule {
                    GanRule::Wasserstein { n_critic, clip } => format!("RMSProp {rates}, {n_critic} critic steps, clip {clip}"),
                    GanRule::JointBce { beta1 } | GanRule::AlternatingBce { beta1 } => format!("Adam {rates}, beta1 {beta1}"),
                };
                SettingsOutput {
                    model: self.model.name(),
                    family: "gan",
                    image_side: self.model.image_side(),
                    plane: self.model.has_plane(),
                    seed,
                    preset: self.gan_preset.name(),
                    preset_text: format!(
                        "{} (G width {}, D width {}{}, batch {}, {optimiser}{})",
                        self.gan_preset.name(),
                        layers.generator,
                        layers.critic,
                        if layers.critic_batch_norm { " with batch norm" } else { "" },
                        preset.batch_size,
                        if preset.ema > 0.0 { format!(", samples from a {} weight average", preset.ema) } else { String::new() }
                    ),
                    values: values(&self.gan),
                    preset_values: values(&preset),
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input(f: impl FnOnce(&mut SettingsInput)) -> SettingsInput {
        let mut i = SettingsInput::default();
        f(&mut i);
        i
    }

    const MNIST: fn(ModelKind) -> Option<usize> = |_| Some(60_000);

    #[test]
    fn a_new_model_starts_from_its_preset_and_restarts() {
        let s = Settings::default();
        let (vae, restart) = s.apply(&input(|i| i.model = Some("vae".into())), MNIST).unwrap();
        assert!(restart);
        assert_eq!((vae.latent.batch_size, vae.latent.beta), (128, PAPER_BETA));
        let out = vae.output();
        assert_eq!(out.preset_text, "paper (Adam 1e-3, batch 128, beta 0.01)");
        assert_eq!(out.values, out.preset_values);

        let (wgan, restart) = vae.apply(&input(|i| i.model = Some("wgan-poly".into())), MNIST).unwrap();
        assert!(restart);
        assert_eq!(wgan.gan_preset, GanPreset::Live);
        assert_eq!(wgan.output().family, "gan");
        let (paper, restart) = wgan.apply(&input(|i| i.preset = Some("paper".into())), MNIST).unwrap();
        assert!(restart);
        assert_eq!(paper.gan, GanKind::WganPoly.preset(GanPreset::Paper, 1).1);
        assert_eq!(
            paper.output().preset_text,
            "paper (G width 128, D width 128, batch 128, RMSProp G 5e-5 / D 5e-5, 5 critic steps, clip 0.01)"
        );
        // The live MNIST DCGAN says where it leaves the reference's discriminator and Adam.
        let (dcgan, _) = wgan.apply(&input(|i| i.model = Some("dcgan-mnist".into())), MNIST).unwrap();
        assert_eq!(
            dcgan.output().preset_text,
            "live (G width 32, D width 16 with batch norm, batch 32, Adam G 5e-4 / D 5e-4, beta1 0.5, samples from a 0.99 weight average)"
        );
    }

    #[test]
    fn settings_change_without_a_restart() {
        let (wgan, _) = Settings::default().apply(&input(|i| i.model = Some("wgan-poly".into())), MNIST).unwrap();
        let (tuned, restart) = wgan.apply(&input(|i| {
            i.n_critic = Some(3.0);
            i.clip = Some(0.02);
            i.lr_generator = Some(1e-4);
        }), MNIST).unwrap();
        assert!(!restart);
        assert_eq!(tuned.gan.rule, GanRule::Wasserstein { n_critic: 3, clip: 0.02 });
        let out = tuned.output();
        assert_ne!(out.values, out.preset_values);
    }

    #[test]
    fn bad_values_and_foreign_fields_name_their_field() {
        let s = Settings::default();
        let (dcgan, _) = s.apply(&input(|i| i.model = Some("dcgan-poly".into())), MNIST).unwrap();
        for (base, bad, field) in [
            (&s, input(|i| i.n_critic = Some(5.0)), "nCritic"),
            (&s, input(|i| i.model = Some("gan".into())), "model"),
            (&s, input(|i| i.seed = Some(1.5)), "seed"),
            (&dcgan, input(|i| i.clip = Some(0.01)), "clip"),
            (&dcgan, input(|i| i.beta = Some(0.01)), "beta"),
            (&dcgan, input(|i| i.lr_critic = Some(-1.0)), "lrCritic"),
            (&dcgan, input(|i| i.batch_size = Some(70_000.0)), "batchSize"),
            (&dcgan, input(|i| i.preset = Some("huge".into())), "preset"),
        ] {
            let err = base.apply(&bad, MNIST).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
        }
    }

    #[test]
    fn input_rebuilds_the_settings() {
        for changes in [
            input(|i| {
                i.model = Some("vae-classifier".into());
                i.beta = Some(0.5);
                i.seed = Some(7.0);
            }),
            input(|i| {
                i.model = Some("wgan-poly".into());
                i.preset = Some("paper".into());
                i.clip = Some(0.03);
                i.batch_size = Some(32.0);
            }),
            input(|i| i.model = Some("dcgan-mnist".into())),
        ] {
            let (settings, _) = Settings::default().apply(&changes, MNIST).unwrap();
            let (rebuilt, _) = Settings::default().apply(&settings.input(), MNIST).unwrap();
            assert_eq!(rebuilt, settings);
        }
    }

    #[test]
    fn learning_rates_read_like_papers() {
        assert_eq!((short(1e-3), short(2e-4), short(5e-5)), ("1e-3".into(), "2e-4".into(), "5e-5".into()));
    }
}
