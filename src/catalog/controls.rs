//! The controls: each hyper-parameter a user can change, described once, with the field of
//! a recipe it reads and writes. The page's form, links, the command line's flags and
//! checkpoint headers all come from [`CONTROLS`].

use serde::Serialize;

use crate::model::LatentKind;
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
    #[serde(skip)]
    get: fn(&Recipe) -> Option<f64>,
    #[serde(skip)]
    set: fn(&mut Recipe, f64),
}

impl Control {
    /// Its value in `recipe`; none where the model has no such setting.
    pub fn get(&self, recipe: &Recipe) -> Option<f64> {
        (self.get)(recipe)
    }

    /// Sets it in `recipe` (which must have it; see [`Self::get`]). Whole numbers must have
    /// been checked to be whole and in range (see `settings`).
    pub fn set(&self, recipe: &mut Recipe, value: f64) {
        (self.set)(recipe, value)
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

fn latent(r: &Recipe) -> Option<&TrainConfig> {
    match r {
        Recipe::Latent(_, c) => Some(c),
        Recipe::Gan(..) => None,
    }
}

fn latent_mut(r: &mut Recipe) -> Option<&mut TrainConfig> {
    match r {
        Recipe::Latent(_, c) => Some(c),
        Recipe::Gan(..) => None,
    }
}

fn gan(r: &Recipe) -> Option<&GanConfig> {
    match r {
        Recipe::Gan(_, _, c) => Some(c),
        Recipe::Latent(..) => None,
    }
}

fn gan_mut(r: &mut Recipe) -> Option<&mut GanConfig> {
    match r {
        Recipe::Gan(_, _, c) => Some(c),
        Recipe::Latent(..) => None,
    }
}

/// The WGAN's critic updates per step and clip value.
fn wasserstein(r: &Recipe) -> Option<(usize, f32)> {
    match gan(r)?.rule {
        GanRule::Wasserstein { n_critic, clip } => Some((n_critic, clip)),
        _ => None,
    }
}

fn wasserstein_mut(r: &mut Recipe) -> Option<(&mut usize, &mut f32)> {
    match &mut gan_mut(r)?.rule {
        GanRule::Wasserstein { n_critic, clip } => Some((n_critic, clip)),
        _ => None,
    }
}

/// Every hyper-parameter, in the order the page lists them.
pub static CONTROLS: [Control; 8] = [
    Control {
        field: "learningRate",
        label: "Learning rate",
        help: "How far each Adam step moves the weights. Too high and the loss jumps about or explodes; too low and it falls slowly.",
        whole: false,
        min: 0.0,
        max: None,
        get: |r| latent(r).map(|c| c.learning_rate),
        set: |r, v| latent_mut(r).into_iter().for_each(|c| c.learning_rate = v),
    },
    Control {
        field: "lrGenerator",
        label: "Generator learning rate",
        help: "Step size of the generator's optimiser. Much faster than the critic's and the generator chases a critic that has not caught up; much slower and it barely moves.",
        whole: false,
        min: 0.0,
        max: None,
        get: |r| gan(r).map(|c| c.lr_generator),
        set: |r, v| gan_mut(r).into_iter().for_each(|c| c.lr_generator = v),
    },
    Control {
        field: "lrCritic",
        label: "Critic learning rate",
        help: "Step size of the discriminator's (critic's) optimiser. Too high and it wins outright, leaving the generator no useful gradient; too low and it cannot tell real from fake.",
        whole: false,
        min: 0.0,
        max: None,
        get: |r| gan(r).map(|c| c.lr_critic),
        set: |r, v| gan_mut(r).into_iter().for_each(|c| c.lr_critic = v),
    },
    Control {
        field: "batchSize",
        label: "Batch size",
        help: "Images per step. Larger batches give smoother but slower steps; very small ones give noisy gradients.",
        whole: true,
        min: 1.0,
        max: None,
        get: |r| Some(r.batch_size() as f64),
        set: |r, v| match r {
            Recipe::Latent(_, c) => c.batch_size = v as usize,
            Recipe::Gan(_, _, c) => c.batch_size = v as usize,
        },
    },
    Control {
        field: "beta",
        label: "Beta (KL weight)",
        help: "Weight of the VAE's KL term. Higher packs the codes into a tidy Gaussian but blurs the reconstructions; 0 makes it a plain autoencoder with noise.",
        whole: false,
        min: 0.0,
        max: None,
        get: |r| match r {
            Recipe::Latent(LatentKind::Vae | LatentKind::VaeClassifier, c) => Some(c.beta),
            _ => None,
        },
        set: |r, v| latent_mut(r).into_iter().for_each(|c| c.beta = v),
    },
    Control {
        field: "nCritic",
        label: "Critic steps per step",
        help: "Critic updates before each generator update. More gives the generator a better-trained critic to follow, at that many times the cost per step.",
        whole: true,
        min: 1.0,
        max: Some(MAX_CRITIC_STEPS as f64),
        get: |r| wasserstein(r).map(|(n, _)| n as f64),
        set: |r, v| wasserstein_mut(r).into_iter().for_each(|(n, _)| *n = v as usize),
    },
    Control {
        field: "clip",
        label: "Weight clip",
        help: "Every critic weight is clipped to [-clip, clip] after each update, which keeps the critic smooth. Too small and it can barely tell images apart; too large and its estimate stops meaning a distance.",
        whole: false,
        min: 0.0,
        max: None,
        // Through its shortest decimal form, so that 0.01f32 shows as 0.01.
        get: |r| wasserstein(r).and_then(|(_, c)| c.to_string().parse().ok()),
        set: |r, v| wasserstein_mut(r).into_iter().for_each(|(_, c)| *c = v as f32),
    },
    Control {
        field: "ema",
        label: "Weight average decay",
        help: "Samples come from a moving average of the generator's weights, updated after each step with this decay (0: the generator itself). Closer to 1 gives steadier samples that lag further behind training.",
        whole: false,
        min: 0.0,
        max: Some(0.9999),
        get: |r| gan(r).map(|c| c.ema),
        set: |r, v| gan_mut(r).into_iter().for_each(|c| c.ema = v),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Dataset;
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
        for dataset in Dataset::ALL {
            assert_eq!(serde_json::to_value(dataset).unwrap(), dataset.name());
        }
    }
}
