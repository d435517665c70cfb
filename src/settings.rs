//! What a session trains and with which settings, and how a request changes them: a new
//! model starts from its first preset, a new seed or preset restarts training, and a bad
//! value changes nothing. Requests come from the page, from links, from checkpoint headers
//! and from the command line's flags, all in one form ([`SettingsInput`]) whose keys are the
//! catalog's control fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{CONTROLS, Control, MAX_WHOLE, ModelInfo, Preset, Room};
use crate::error::{LabError, shown};
use crate::model::{LatentKind, ModelKind};
use crate::train::Recipe;

/// A change as the page sends it; any subset of fields. Numbers arrive as f64 so that NaN,
/// fractions and negatives reach validation and get a clear message rather than a
/// deserialisation error. A checkpoint stores its settings in this form too, so that loading
/// one goes through the same validation as a request from the page.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Control values by field ([`CONTROLS`]); null stands for "not given".
    #[serde(flatten)]
    pub values: BTreeMap<String, Option<f64>>,
}

impl SettingsInput {
    /// The same request with `field` set to `value`.
    pub fn with(mut self, field: &str, value: f64) -> Self {
        self.values.insert(field.into(), Some(value));
        self
    }

    /// The settings a link's query asks for, from its `(key, value)` pairs: the model, its
    /// preset and seed, and the controls' fields. Other keys (`backend`) are not settings. A
    /// number that does not parse is kept as NaN, so that it is refused with its field named.
    pub fn from_link(pairs: &[(String, String)]) -> Self {
        let number = |v: &str| v.trim().parse::<f64>().unwrap_or(f64::NAN);
        let mut input = SettingsInput::default();
        for (key, value) in pairs {
            match key.as_str() {
                "model" => input.model = Some(value.clone()),
                "preset" => input.preset = Some(value.clone()),
                "seed" => input.seed = Some(number(value)),
                field if Control::find(field).is_some() => input = input.with(field, number(value)),
                _ => {}
            }
        }
        input
    }

    /// Each value of the request alone, in the order a link is best applied: the model first
    /// (it decides what the others mean), then its preset, its seed and the controls.
    pub fn parts(&self) -> Vec<SettingsInput> {
        let mut parts = Vec::new();
        let one = |f: &dyn Fn(&mut SettingsInput)| {
            let mut part = SettingsInput::default();
            f(&mut part);
            part
        };
        if let Some(model) = &self.model {
            parts.push(one(&|p| p.model = Some(model.clone())));
        }
        if let Some(preset) = &self.preset {
            parts.push(one(&|p| p.preset = Some(preset.clone())));
        }
        if let Some(seed) = self.seed {
            parts.push(one(&|p| p.seed = Some(seed)));
        }
        for (field, value) in self.values.iter().filter(|(_, v)| v.is_some()) {
            parts.push(one(&|p| {
                p.values.insert(field.clone(), *value);
            }));
        }
        parts
    }
}

/// What the page shows of the settings: the model's description, its settings, and the link
/// that reproduces them.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsOutput {
    pub model: &'static str,
    #[serde(flatten)]
    pub info: ModelInfo,
    pub seed: u64,
    pub preset: &'static str,
    /// A one-line description of the preset, e.g. "paper (Adam 1e-3, batch 256)".
    pub preset_text: String,
    /// Every control's value; null where the model has no such setting.
    pub values: BTreeMap<&'static str, Option<f64>>,
    /// The preset's own values, so that the page can tell "custom" while the user types.
    pub preset_values: BTreeMap<&'static str, Option<f64>>,
    /// The link's query, key by key: the model, its seed, its preset where it has a choice,
    /// and each value that differs from the preset's.
    pub link: Vec<(&'static str, String)>,
}

/// The settings of a run: a model's preset and the recipe it trains with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub preset: Preset,
    pub recipe: Recipe,
}

impl Default for Settings {
    fn default() -> Self {
        Self::fresh(ModelKind::Latent(LatentKind::Autoencoder), None, 1)
    }
}

/// `v` as a whole number of 0 to [`MAX_WHOLE`]: larger ones do not survive a trip through a
/// JavaScript number.
pub fn whole_number(field: &'static str, what: &str, v: f64) -> Result<u64, LabError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_WHOLE as f64 {
        Ok(v as u64)
    } else {
        Err(LabError::invalid(field, format!("the {what} must be a whole number from 0 to {MAX_WHOLE}, not {}", shown(v))))
    }
}

fn values(recipe: &Recipe) -> BTreeMap<&'static str, Option<f64>> {
    CONTROLS.iter().map(|c| (c.field, c.get(recipe))).collect()
}

impl Settings {
    /// `model` at `preset` (its first when none), seeded by `seed`.
    pub fn fresh(model: ModelKind, preset: Option<Preset>, seed: u64) -> Self {
        let preset = preset.unwrap_or(model.presets()[0]);
        Settings { preset, recipe: model.recipe(preset, seed) }
    }

    pub fn model(&self) -> ModelKind {
        self.recipe.model()
    }

    pub fn seed(&self) -> u64 {
        self.recipe.seed()
    }

    /// These settings with the batch size lowered to `train_len` where it is larger, and a
    /// notice that says so.
    pub fn fitted(&self, train_len: Option<usize>) -> (Self, Option<String>) {
        let mut fitted = self.clone();
        match train_len {
            Some(len) if len < self.recipe.batch_size() => {
                *fitted.recipe.batch_size_mut() = len.max(1);
                let notice =
                    format!("The batch size is now {len}, as the data holds only {len} images (it was {}).", self.recipe.batch_size());
                (fitted, Some(notice))
            }
            _ => (fitted, None),
        }
    }

    /// The seed after this one, as a reset takes it (wrapping within [`MAX_WHOLE`]).
    pub fn next_seed(&self) -> u64 {
        (self.seed() + 1) % (MAX_WHOLE + 1)
    }

    /// The settings after `input`, and whether training must restart (a new model, seed or
    /// preset). `room(model)` is what that model must fit: its training set's size, if loaded
    /// (which alone converts into a [`Room`]), and the device's largest buffer.
    /// Nothing changes on an error.
    pub fn apply<R: Into<Room>>(&self, input: &SettingsInput, room: impl Fn(ModelKind) -> R) -> Result<(Self, bool), LabError> {
        let model = match &input.model {
            Some(name) => ModelKind::parse(name)?,
            None => self.model(),
        };
        let preset = match &input.preset {
            Some(name) => Some(model.parse_preset(name)?),
            None if model == self.model() => Some(self.preset),
            None => None,
        };
        let seed = match input.seed {
            Some(seed) => whole_number("seed", "seed", seed)?,
            None => self.seed(),
        };
        let mut next = if model == self.model() && preset == Some(self.preset) {
            let mut next = self.clone();
            next.recipe.set_seed(seed);
            next
        } else {
            // A new model or preset starts from the preset's values, not from settings tuned
            // for another, with its batch lowered to fit a small training set.
            Settings::fresh(model, preset, seed).fitted(room(model).into().train_len).0
        };
        for (field, value) in input.values.iter().filter_map(|(f, v)| Some((f, (*v)?))) {
            let control = Control::find(field).ok_or_else(|| LabError::invalid("config", format!("there is no setting '{field}'")))?;
            // A setting the model does not have (a beta for a GAN) is refused rather than
            // silently ignored.
            if control.get(&next.recipe).is_none() {
                return Err(LabError::invalid(control.field, format!("the model {} has no setting '{field}'", model.name())));
            }
            if control.whole {
                // Checked before the value is narrowed to a count (32 bits on wasm32), where
                // a larger one would wrap or saturate into another number.
                let what = control.label.to_lowercase();
                let count = whole_number(control.field, &what, value)?;
                if count > u64::from(u32::MAX) {
                    return Err(LabError::invalid(control.field, format!("the {what} must be at most {}, not {count}", u32::MAX)));
                }
            }
            control.set(&mut next.recipe, value);
        }
        next.recipe.validate(room(model).into())?;
        let restart = next.model() != self.model() || next.seed() != self.seed() || next.preset != self.preset;
        Ok((next, restart))
    }

    /// Every field that [`Settings::apply`] needs to rebuild these settings from the default.
    pub fn input(&self) -> SettingsInput {
        SettingsInput {
            model: Some(self.model().name().into()),
            seed: Some(self.seed() as f64),
            preset: Some(self.preset.name().into()),
            values: values(&self.recipe).into_iter().map(|(k, v)| (k.to_string(), v)).filter(|(_, v)| v.is_some()).collect(),
        }
    }

    pub fn output(&self) -> SettingsOutput {
        let model = self.model();
        let preset_recipe = model.recipe(self.preset, self.seed());
        let (values, preset_values) = (values(&self.recipe), values(&preset_recipe));
        let mut link = vec![("model", model.name().to_string()), ("seed", self.seed().to_string())];
        if model.presets().len() > 1 {
            link.push(("preset", self.preset.name().to_string()));
        }
        for (field, value) in &values {
            if let Some(v) = value.filter(|v| Some(*v) != preset_values[field]) {
                link.push((field, v.to_string()));
            }
        }
        SettingsOutput {
            model: model.name(),
            info: model.info(),
            seed: self.seed(),
            preset: self.preset.name(),
            preset_text: preset_recipe.describe(self.preset),
            values,
            preset_values,
            link,
        }
    }

    /// The settings with every learning rate multiplied by `factor`.
    pub fn scaled_rates(&self, factor: f64) -> Result<Self, LabError> {
        let mut change = SettingsInput::default();
        for control in CONTROLS.iter().filter(|c| c.rate) {
            if let Some(rate) = control.get(&self.recipe) {
                change = change.with(control.field, rate * factor);
            }
        }
        Ok(self.apply(&change, |_| None)?.0)
    }
}

/// The result of a link's settings applied one value at a time: what was accepted, and a
/// refusal for each value that was not.
pub fn apply_each<R: Into<Room>>(
    settings: &Settings,
    input: &SettingsInput,
    room: impl Fn(ModelKind) -> R,
) -> (Settings, bool, Vec<LabError>) {
    if let Ok((next, restart)) = settings.apply(input, &room) {
        return (next, restart, Vec::new());
    }
    let (mut next, mut refusals) = (settings.clone(), Vec::new());
    for part in input.parts() {
        match next.apply(&part, &room) {
            Ok((accepted, _)) => next = accepted,
            Err(e) => refusals.push(e),
        }
    }
    let restart = next.model() != settings.model() || next.seed() != settings.seed() || next.preset != settings.preset;
    (next, restart, refusals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Bound, PAPER_BETA};
    use crate::model::GanKind;
    use crate::train::GanRule;

    fn input(f: impl FnOnce(&mut SettingsInput)) -> SettingsInput {
        let mut i = SettingsInput::default();
        f(&mut i);
        i
    }

    fn model(name: &str) -> SettingsInput {
        input(|i| i.model = Some(name.into()))
    }

    const MNIST: fn(ModelKind) -> Option<usize> = |_| Some(60_000);

    #[test]
    fn a_new_model_starts_from_its_preset_and_restarts() {
        let s = Settings::default();
        let (vae, restart) = s.apply(&model("vae"), MNIST).unwrap();
        assert!(restart);
        let Recipe::Latent(_, c) = &vae.recipe else { panic!("not an autoencoder") };
        assert_eq!((c.batch_size, c.beta), (128, PAPER_BETA));
        let out = vae.output();
        assert_eq!(out.preset_text, "paper (Adam 1e-3, batch 128, beta 0.01)");
        assert_eq!(out.values, out.preset_values);

        let (wgan, restart) = vae.apply(&model("wgan-poly"), MNIST).unwrap();
        assert!(restart);
        assert_eq!(wgan.preset, Preset::Live);
        assert_eq!(wgan.output().info.family, "gan");
        let (paper, restart) = wgan.apply(&input(|i| i.preset = Some("paper".into())), MNIST).unwrap();
        assert!(restart);
        assert_eq!(paper.recipe, ModelKind::Gan(GanKind::WganPoly).recipe(Preset::Paper, 1));
        assert_eq!(
            paper.output().preset_text,
            "paper (G width 128, D width 128, batch 128, RMSProp G 5e-5 / D 5e-5, 5 critic steps, clip 0.01)"
        );
        // The live MNIST DCGAN says where it leaves the reference's discriminator and Adam.
        let (dcgan, _) = wgan.apply(&model("dcgan-mnist"), MNIST).unwrap();
        assert_eq!(
            dcgan.output().preset_text,
            "live (G width 32, D width 16 with batch norm, batch 32, Adam G 5e-4 / D 5e-4, beta1 0.5, samples from a 0.99 weight average)"
        );
    }

    #[test]
    fn settings_change_without_a_restart() {
        let (wgan, _) = Settings::default().apply(&model("wgan-poly"), MNIST).unwrap();
        let change = SettingsInput::default().with("nCritic", 3.0).with("clip", 0.02).with("lrGenerator", 1e-4);
        let (tuned, restart) = wgan.apply(&change, MNIST).unwrap();
        assert!(!restart);
        let Recipe::Gan(_, _, c) = &tuned.recipe else { panic!("not a GAN") };
        assert_eq!(c.rule, GanRule::Wasserstein { n_critic: 3, clip: 0.02 });
        let out = tuned.output();
        assert_ne!(out.values, out.preset_values);
    }

    #[test]
    fn bad_values_and_foreign_fields_name_their_field() {
        let s = Settings::default();
        let (dcgan, _) = s.apply(&model("dcgan-poly"), MNIST).unwrap();
        let with = |field: &str, v: f64| SettingsInput::default().with(field, v);
        for (base, bad, field) in [
            (&s, with("nCritic", 5.0), "nCritic"),
            (&s, model("gan"), "model"),
            (&s, input(|i| i.seed = Some(1.5)), "seed"),
            (&s, input(|i| i.preset = Some("live".into())), "preset"),
            (&s, with("learningRate", f64::NAN), "learningRate"),
            (&s, with("colour", 1.0), "config"),
            (&dcgan, with("clip", 0.01), "clip"),
            (&dcgan, with("beta", 0.01), "beta"),
            (&dcgan, with("lrCritic", -1.0), "lrCritic"),
            (&dcgan, with("batchSize", 70_000.0), "batchSize"),
            (&dcgan, with("batchSize", 2.5), "batchSize"),
            (&dcgan, input(|i| i.preset = Some("huge".into())), "preset"),
        ] {
            let err = base.apply(&bad, MNIST).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
        }
    }

    /// A whole number is checked as the number it is, before it is narrowed to a count (32
    /// bits on wasm32): 2^32 + 16 must not become 16, nor 1e12 become 3567587328.
    #[test]
    fn whole_numbers_are_checked_before_they_are_narrowed() {
        let s = Settings::default();
        let (wgan, _) = s.apply(&model("wgan-poly"), MNIST).unwrap();
        let with = |field: &str, v: f64| SettingsInput::default().with(field, v);
        for (base, field, value, said) in [
            (&s, "batchSize", 4294967312.0, "not 4294967312"),
            (&s, "batchSize", 1e12, "not 1000000000000"),
            (&wgan, "nCritic", 4294967301.0, "not 4294967301"),
            (&wgan, "nCritic", 1e300, "not 1e300"),
        ] {
            let err = base.apply(&with(field, value), MNIST).unwrap_err();
            assert_eq!(err.field(), Some(field), "{err}");
            assert!(err.to_string().contains(said), "{err}");
        }
    }

    /// Every model takes a batch up to what a browser tab's memory holds for one step, and on
    /// a GPU up to what its largest buffer holds of the widest layer; the refusal names the
    /// largest it takes and why.
    #[test]
    fn batches_are_limited_by_memory_and_by_the_gpus_buffers() {
        let s = Settings::default();
        let batch = |n: usize| SettingsInput::default().with("batchSize", n as f64);
        // The autoencoder takes the whole of MNIST at once on the CPU.
        assert!(s.apply(&batch(60_000), MNIST).is_ok());
        let (dcgan, _) = s.apply(&model("dcgan-mnist"), MNIST).unwrap();
        let (most, bound) = dcgan.recipe.max_batch(None);
        assert_eq!(bound, Bound::Memory);
        assert!((2_000..20_000).contains(&most), "{most}");
        assert!(dcgan.apply(&batch(most), MNIST).is_ok());
        let err = dcgan.apply(&batch(20_000), MNIST).unwrap_err();
        assert_eq!(err.field(), Some("batchSize"));
        assert!(err.to_string().contains(&format!("at most {most} for this model, not 20000")), "{err}");
        assert!(err.to_string().contains("a step takes about 0.23 MB a sample, and a browser tab holds about 2 GB"), "{err}");

        // WebGPU's guaranteed buffer size, 128 MiB, holds 42,799 of the autoencoder's images
        // (784 floats, its widest tensor), fewer than its memory bound.
        let gpu = |_| Room { train_len: Some(60_000), max_buffer: Some(128 << 20) };
        assert_eq!(s.recipe.max_batch(Some(128 << 20)), (42_799, Bound::Buffer(128 << 20)));
        assert!(s.apply(&batch(42_799), gpu).is_ok());
        let err = s.apply(&batch(60_000), gpu).unwrap_err();
        assert_eq!(err.field(), Some("batchSize"));
        assert!(err.to_string().contains("at most 42799 for this model, not 60000"), "{err}");
        assert!(
            err.to_string().contains("its widest layer takes about 0.0031 MB a sample, and this GPU holds at most 134 MB in one buffer"),
            "{err}"
        );
        // A GPU with larger buffers leaves the memory bound.
        assert_eq!(dcgan.recipe.max_batch(Some(1 << 30)), (most, Bound::Memory));

        // Every preset fits both, on the smallest buffers WebGPU allows.
        for kind in ModelKind::all() {
            for &preset in kind.presets() {
                let recipe = kind.recipe(preset, 1);
                let (most, _) = recipe.max_batch(Some(128 << 20));
                assert!(most >= 2 * recipe.batch_size(), "{} {}", kind.name(), preset.name());
            }
        }
    }

    /// A seed must come back to the page as the same number: 2^53 and above do not.
    #[test]
    fn seeds_stay_within_what_javascript_numbers_hold() {
        let s = Settings::default();
        let at = |seed: f64| s.apply(&input(|i| i.seed = Some(seed)), MNIST);
        assert_eq!(at(2f64.powi(53)).unwrap_err().field(), Some("seed"));
        let (largest, _) = at((MAX_WHOLE) as f64).unwrap();
        assert_eq!(largest.seed(), MAX_WHOLE);
        assert_eq!(largest.next_seed(), 0);
        let json = serde_json::to_value(largest.output()).unwrap();
        assert_eq!(json["seed"].as_f64(), Some(MAX_WHOLE as f64));
    }

    #[test]
    fn input_rebuilds_the_settings() {
        for changes in [
            model("vae-classifier").with("beta", 0.5),
            input(|i| {
                i.model = Some("wgan-poly".into());
                i.preset = Some("paper".into());
            })
            .with("clip", 0.03)
            .with("batchSize", 32.0),
            model("dcgan-mnist"),
        ] {
            let (settings, _) = Settings::default().apply(&changes, MNIST).unwrap();
            let (rebuilt, _) = Settings::default().apply(&settings.input(), MNIST).unwrap();
            assert_eq!(rebuilt, settings);
            // The header form goes through JSON and back.
            let json = serde_json::to_string(&settings.input()).unwrap();
            let parsed: SettingsInput = serde_json::from_str(&json).unwrap();
            assert_eq!(Settings::default().apply(&parsed, MNIST).unwrap().0, settings);
        }
    }

    /// A link holds what reproduces the settings and nothing a model would refuse: no preset
    /// for the autoencoders, which have one.
    #[test]
    fn links_reproduce_the_settings() {
        for changes in [model("ae"), model("vae").with("beta", 0.5), model("wgan-poly").with("nCritic", 4.0)] {
            let (settings, _) = Settings::default().apply(&changes, MNIST).unwrap();
            let link = settings.output().link;
            let mut parsed = SettingsInput::default();
            for (key, value) in &link {
                match *key {
                    "model" => parsed.model = Some(value.clone()),
                    "preset" => parsed.preset = Some(value.clone()),
                    "seed" => parsed.seed = value.parse().ok(),
                    field => parsed = parsed.with(field, value.parse().unwrap()),
                }
            }
            assert_eq!(Settings::default().apply(&parsed, MNIST).unwrap().0, settings, "{link:?}");
            let is_gan = matches!(settings.model(), ModelKind::Gan(_));
            assert_eq!(link.iter().any(|(k, _)| *k == "preset"), is_gan, "{link:?}");
        }
    }

    #[test]
    fn links_parse_to_settings() {
        let pairs: Vec<(String, String)> = [("model", "vae"), ("backend", "cpu"), ("beta", "0.5"), ("seed", "x"), ("batchSize", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let input = SettingsInput::from_link(&pairs);
        assert_eq!((input.model.as_deref(), input.values["beta"]), (Some("vae"), Some(0.5)));
        assert!(input.seed.unwrap().is_nan() && input.values["batchSize"].unwrap().is_nan());
        assert_eq!(input.values.len(), 2);
    }

    /// Each refusal of a link stays, whatever is accepted after it.
    #[test]
    fn a_link_keeps_every_refusal() {
        let s = Settings::default();
        let link = input(|i| {
            i.model = Some("nonsense".into());
            i.seed = Some(9.0);
        });
        let (next, _, refusals) = apply_each(&s, &link, MNIST);
        assert_eq!(next.seed(), 9);
        assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("model")]);

        let link = model("vae").with("learningRate", -1.0).with("beta", 0.5);
        let (next, restart, refusals) = apply_each(&s, &link, MNIST);
        assert!(restart);
        assert_eq!(next.model().name(), "vae");
        assert_eq!(Control::find("beta").unwrap().get(&next.recipe), Some(0.5));
        assert_eq!(refusals.iter().map(|e| e.field()).collect::<Vec<_>>(), [Some("learningRate")]);
    }
}
