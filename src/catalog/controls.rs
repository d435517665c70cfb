//! The controls: each hyper-parameter a user can change, described once, with the field of
//! a recipe it reads and writes. The page's form, links, the command line's flags and
//! checkpoint headers all come from [`CONTROLS`].

use serde::Serialize;

use crate::train::gan::MAX_CRITIC_STEPS;
use crate::train::{GanConfig, GanRule, Recipe, TrainConfig};

/// A hyper-parameter a user can change: how the page shows it, the command line names it,
/// links and checkpoints store it, and which field of a recipe it reads and writes.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Control {
    /// Its key in the page's settings, in links and in checkpoints (`learningRate`); the
    /// command line's flag is its kebab-case form (`--learning-rate`).
    pub field: &'static str,
    pub label: &'static str,
    /// What a user needs to know: what it does, and what too high or too low does.
    pub help: &'static str,
    /// A whole number (a count); otherwise any real number.
    pub whole: bool,
    /// The smallest value the page's box offers (the recipe's validation has the last word).
    pub min: f64,
    /// The largest, if there is one.
    pub max: Option<f64>,
    /// A learning rate: scaled down together with the others when a run is rolled back.
    #[serde(skip)]
    pub rate: bool,
    #[serde(skip)]
    slot: SlotFn,
}

/// Where a control's value lives in a recipe, by the field's type.
enum Slot<'a> {
    Real(&'a mut f64),
    Single(&'a mut f32),
    Count(&'a mut usize),
}

impl Slot<'_> {
    fn read(&self) -> f64 {
        match self {
            Slot::Real(v) => **v,
            // Through its shortest decimal form, so that 0.01f32 shows as 0.01.
            Slot::Single(v) => v.to_string().parse().unwrap_or(f64::from(**v)),
            Slot::Count(v) => **v as f64,
        }
    }

    fn write(self, value: f64) {
        match self {
            Slot::Real(v) => *v = value,
            Slot::Single(v) => *v = value as f32,
            Slot::Count(v) => *v = value as usize,
        }
    }
}

type SlotFn = for<'a> fn(&'a mut Recipe) -> Option<Slot<'a>>;

impl Control {
    /// A learning rate: any positive real.
    const fn rate(field: &'static str, label: &'static str, help: &'static str, slot: SlotFn) -> Self {
        Control { field, label, help, whole: false, min: 0.0, max: None, rate: true, slot }
    }

    /// Any real from 0 up.
    const fn real(field: &'static str, label: &'static str, help: &'static str, slot: SlotFn) -> Self {
        Control { rate: false, ..Self::rate(field, label, help, slot) }
    }

    /// A whole number from 1 up.
    const fn count(field: &'static str, label: &'static str, help: &'static str, slot: SlotFn) -> Self {
        Control { whole: true, min: 1.0, ..Self::real(field, label, help, slot) }
    }

    const fn at_most(self, max: f64) -> Self {
        Control { max: Some(max), ..self }
    }

    /// Its value in `recipe`; none where the model has no such setting.
    pub fn get(&self, recipe: &Recipe) -> Option<f64> {
        (self.slot)(&mut recipe.clone()).map(|slot| slot.read())
    }

    /// Sets it in `recipe`, where the model has it (see [`Self::get`]). Whole numbers must
    /// have been checked to be whole and in range (see `settings`).
    pub fn set(&self, recipe: &mut Recipe, value: f64) {
        if let Some(slot) = (self.slot)(recipe) {
            slot.write(value);
        }
    }

    /// The command line's flag: `learningRate` -> `learning-rate`.
    pub fn flag(&self) -> String {
        let mut flag = String::new();
        for c in self.field.chars() {
            if c.is_ascii_uppercase() {
                flag.push('-');
            }
            flag.push(c.to_ascii_lowercase());
        }
        flag
    }

    pub fn find(field: &str) -> Option<&'static Control> {
        CONTROLS.iter().find(|c| c.field == field)
    }
}

fn latent(r: &mut Recipe) -> Option<&mut TrainConfig> {
    match r {
        Recipe::Latent(_, c) => Some(c),
        Recipe::Gan(..) => None,
    }
}

fn gan(r: &mut Recipe) -> Option<&mut GanConfig> {
    match r {
        Recipe::Gan(_, _, c) => Some(c),
        Recipe::Latent(..) => None,
    }
}

/// The WGAN's critic updates per step and clip value.
fn wasserstein(r: &mut Recipe) -> Option<(&mut usize, &mut f32)> {
    match &mut gan(r)?.rule {
        GanRule::Wasserstein { n_critic, clip } => Some((n_critic, clip)),
        _ => None,
    }
}

/// Every hyper-parameter, in the order the page lists them.
pub static CONTROLS: [Control; 8] = [
    Control::rate(
        "learningRate",
        "Learning rate",
        "How far each Adam step moves the weights. Too high and the loss jumps about or explodes; too low and it falls slowly.",
        |r| Some(Slot::Real(&mut latent(r)?.learning_rate)),
    ),
    Control::rate(
        "lrGenerator",
        "Generator learning rate",
        "Step size of the generator's optimiser. Too high and its samples swing from step to step or collapse onto one image, chasing a critic that has not caught up; too low and they barely change.",
        |r| Some(Slot::Real(&mut gan(r)?.lr_generator)),
    ),
    Control::rate(
        "lrCritic",
        "Critic learning rate",
        "Step size of the discriminator's (critic's) optimiser. Too high and it wins outright, leaving the generator no useful gradient; too low and it cannot tell real from fake, so the generator learns nothing.",
        |r| Some(Slot::Real(&mut gan(r)?.lr_critic)),
    ),
    Control::count(
        "batchSize",
        "Batch size",
        "Images per step. Larger batches give steadier but slower steps (and too large a batch does not fit in memory); very small ones are quick but noisy, so the loss jumps about.",
        |r| Some(Slot::Count(r.batch_size_mut())),
    ),
    Control::real(
        "beta",
        "Beta (KL weight)",
        "Weight of the VAE's KL term, which pulls the codes towards a standard normal. Too high and they pile into one blob and the reconstructions blur; too low (0) and it is a plain autoencoder with noise, with gaps that decode to nothing.",
        |r| match r {
            Recipe::Latent(kind, c) if kind.is_variational() => Some(Slot::Real(&mut c.beta)),
            _ => None,
        },
    ),
    Control::count(
        "nCritic",
        "Critic steps per step",
        "Critic updates before each generator update. Too few and the generator follows a half-trained critic whose estimate means little; too many and each step costs that many times more.",
        |r| Some(Slot::Count(wasserstein(r)?.0)),
    )
    .at_most(MAX_CRITIC_STEPS as f64),
    Control::real(
        "clip",
        "Weight clip",
        "Every critic weight is clipped to [-clip, clip] after each update, which keeps the critic smooth. Too small and it can barely tell images apart; too large and its estimate stops meaning a distance and can blow up.",
        |r| Some(Slot::Single(wasserstein(r)?.1)),
    ),
    Control::real(
        "ema",
        "Weight average decay",
        "Samples come from a moving average of the generator's weights, updated after each step with this decay (0: the generator itself). Too close to 1 and the samples lag far behind training; too low and they flicker with every step.",
        |r| Some(Slot::Real(&mut gan(r)?.ema)),
    )
    .at_most(0.9999),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Builtin, DataSlot};
    use crate::model::ModelKind;

    #[test]
    fn every_control_reads_and_writes_its_own_field() {
        for kind in ModelKind::all() {
            for &preset in kind.presets() {
                let recipe = kind.recipe(preset, 1);
                for control in &CONTROLS {
                    let Some(value) = control.get(&recipe) else { continue };
                    let mut changed = recipe.clone();
                    control.set(&mut changed, value + 1.0);
                    assert_eq!(control.get(&changed), Some(value + 1.0), "{} of {}", control.field, kind.name());
                    let others = CONTROLS.iter().filter(|c| c.field != control.field);
                    for other in others {
                        assert_eq!(other.get(&changed), other.get(&recipe), "{} moved {}", control.field, other.field);
                    }
                }
            }
        }
        assert_eq!(Control::find("learningRate").map(Control::flag).as_deref(), Some("learning-rate"));
        assert_eq!(Control::find("nCritic").map(Control::flag).as_deref(), Some("n-critic"));
        for dataset in Builtin::ALL {
            assert_eq!(serde_json::to_value(dataset).unwrap(), dataset.name());
            assert_eq!(Builtin::parse(dataset.name()), Some(dataset));
        }
        assert_eq!(serde_json::to_value(DataSlot::Side28).unwrap(), "side28");
    }

    /// The page shows each help one tap away, under its box: a sentence or two, not an essay.
    #[test]
    fn every_control_has_short_help() {
        for control in &CONTROLS {
            let help = control.help;
            assert!((60..=300).contains(&help.len()), "{}: {} characters: {help}", control.field, help.len());
            assert!(help.ends_with('.'), "{}: {help}", control.field);
        }
    }
}
