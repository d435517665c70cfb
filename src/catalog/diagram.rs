//! Each recipe's diagram: the networks its preset builds, and the loss its rule trains them by
//! (see `model::diagram`).

use crate::model::GanKind;
use crate::model::diagram::{self, Diagram, GanLoss};
use crate::train::{GanRule, Recipe};

impl Recipe {
    /// The diagram of the networks this recipe trains.
    pub fn diagram(&self) -> Diagram {
        match self {
            Recipe::Latent(kind, config) => diagram::latent(*kind, config.beta),
            Recipe::Gan(kind, layers, config) => {
                let loss = match config.rule {
                    GanRule::Wasserstein { n_critic, clip } => GanLoss::Wasserstein { n_critic, clip },
                    GanRule::JointBce { .. } | GanRule::AlternatingBce { .. } => GanLoss::Bce,
                };
                let side = kind.side();
                match kind {
                    GanKind::DcganMnist => {
                        let (g, d) = layers.mnist();
                        diagram::gan(&g, g.noise, &d, side, loss)
                    }
                    GanKind::DcganPoly | GanKind::WganPoly => {
                        let (g, d) = layers.poly();
                        diagram::gan(&g, g.noise, &d, side, loss)
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;

    use crate::backend::{self, BackendKind};
    use crate::catalog::Preset;
    use crate::model::ModelKind;
    use crate::model::diagram::Diagram;
    use crate::model::gan::{Critic, Generator};

    /// Holds a GAN's diagram to its networks: the floats of each part are the module's (so a
    /// layer added, removed or resized without the diagram fails), the generator's last node
    /// has the shape of its images, the critic gives one score per image, and the decode path
    /// runs from the noise to the fake image.
    fn check_gan<G: Generator, D: Critic>(d: &Diagram, g: &G, critic: &D, side: usize) {
        let device = backend::cpu(BackendKind::Flex, "test").device;
        let critic_part = &d.parts.last().unwrap().id;
        assert_eq!(d.floats("generator"), g.num_params(), "generator");
        assert_eq!(d.floats(critic_part), critic.num_params(), "{critic_part}");
        let noise = d.node("noise").unwrap().shape[0];
        assert_eq!(noise, g.noise_dim());
        let images = g.forward(Tensor::zeros([2, noise], &device));
        assert_eq!(d.node("fake").unwrap().shape, images.dims()[1..].to_vec());
        assert_eq!(d.node("real").unwrap().shape, vec![1, side, side]);
        assert_eq!(critic.forward(images).dims(), [2]);
        assert_eq!(d.node("score").unwrap().shape, vec![1]);
        assert_eq!((d.decode.first().map(String::as_str), d.decode.last().map(String::as_str)), (Some("noise"), Some("fake")));
    }

    #[test]
    fn every_gan_preset_s_diagram_is_its_networks() {
        let device = backend::cpu(BackendKind::Flex, "test").device;
        for model in ModelKind::all() {
            for &preset in model.presets() {
                let recipe = model.recipe(preset, 1);
                let d = recipe.diagram();
                let crate::train::Recipe::Gan(kind, layers, _) = recipe else { continue };
                let side = kind.side();
                if kind == crate::model::GanKind::DcganMnist {
                    let (g, c) = layers.mnist();
                    check_gan(&d, &g.init(&device), &c.init(&device), side);
                } else {
                    let (g, c) = layers.poly();
                    check_gan(&d, &g.init(&device), &c.init(&device), side);
                }
                // The paper presets' widths are docs/models.md's.
                if preset == Preset::Paper {
                    let expected: &[&[usize]] = match kind {
                        crate::model::GanKind::DcganMnist => &[&[256, 7, 7], &[128, 7, 7], &[64, 14, 14], &[1, 28, 28]],
                        _ => &[&[128, 10, 10], &[128, 20, 20], &[64, 40, 40], &[1, 40, 40]],
                    };
                    let shapes: Vec<&[usize]> =
                        ["reshape", "deconv1", "deconv2", "fake"].iter().map(|id| &d.node(id).unwrap().shape[..]).collect();
                    assert_eq!(shapes, expected, "{}", model.name());
                }
            }
        }
    }

    #[test]
    fn the_wgan_has_a_critic_and_its_loss_and_every_gan_a_real_and_a_fake_path() {
        for model in ModelKind::all().filter(|m| matches!(m, ModelKind::Gan(_))) {
            let d = model.recipe(Preset::Paper, 1).diagram();
            let wasserstein = model.info().wasserstein;
            assert_eq!(d.parts.last().unwrap().id, if wasserstein { "critic" } else { "discriminator" });
            assert_eq!(d.losses[0].term.contains("mean D(G(z))"), wasserstein, "{}", model.name());
            let into = |path| d.edges.iter().filter(|e| e.path == Some(path) && e.to == "conv1").count();
            assert_eq!((into(crate::model::diagram::Path::Real), into(crate::model::diagram::Path::Fake)), (1, 1));
        }
    }
}
