//! What a session trains and with which settings, and how a request changes them: a new
//! model starts from its first preset, a new seed or preset restarts training, and a bad
//! value changes nothing. Requests come from the page, from links, from checkpoint headers
//! and from the command line's flags, all in one form ([`SettingsInput`]) whose keys are the
//! catalog's control fields.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{CONTROLS, Control, MAX_WHOLE, ModelInfo, Preset, Room};
use crate::error::{LabError, shown};
use crate::model::diagram::Diagram;
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
    /// The networks this run trains, layer by layer, and their losses (`model::diagram`).
    pub diagram: Diagram,
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
            diagram: self.recipe.diagram(),
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
mod tests;
