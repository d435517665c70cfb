//! What each model is, for a student meeting it for the first time: what it does, and what to
//! look for while it trains. The page shows both beside the Model menu; they stay short and
//! describe what the page draws, so that a change to a view is checked against them here.

use crate::model::{GanKind, LatentKind, ModelKind};

/// What the model does, and what to look for while it trains.
pub(super) fn about(kind: ModelKind) -> (&'static str, &'static str) {
    match kind {
        ModelKind::Latent(LatentKind::Autoencoder) => (
            "An autoencoder squeezes each 28x28 digit through a bottleneck of just two numbers, its \
             latent code, and learns to rebuild the image from them. Every digit becomes a point on \
             a plane you can explore.",
            "The loss falls and the reconstructions sharpen. In the latent space, digits of the same \
             kind gather into arms although the model never sees a label; points between the arms \
             decode to blends or to nothing like a digit.",
        ),
        ModelKind::Latent(LatentKind::AutoencoderClassifier) => (
            "An autoencoder whose two-number code must also say which digit it is: a small classifier \
             reads the code, and its error joins the reconstruction's in the loss.",
            "The labels pull the digits apart, so the latent space shows cleaner, better separated \
             clusters than the plain autoencoder's. The accuracy chart shows how well two numbers \
             alone name the digit.",
        ),
        ModelKind::Latent(LatentKind::Vae) => (
            "A variational autoencoder encodes each digit as a small cloud (a mean and a spread) \
             rather than a point, and its KL term pulls the clouds towards a standard normal \
             distribution. Points near the centre of the plane then decode to plausible digits, so \
             it can make new ones.",
            "The codes fill a round blob around the origin instead of long arms, and the decoded \
             manifold changes smoothly from one digit to the next. Reconstructions are blurrier than \
             the autoencoder's; the loss parts chart shows the trade between rebuilding and packing.",
        ),
        ModelKind::Latent(LatentKind::VaeClassifier) => (
            "A variational autoencoder with a latent classifier: its codes must rebuild the image, \
             stay close to a standard normal distribution and name the digit, all at once.",
            "Digits sort into wedges of the round blob; accuracy climbs while the KL term keeps the \
             codes packed. Compare the sampled codes with the means to see how much noise each code \
             carries.",
        ),
        ModelKind::Gan(GanKind::DcganMnist) => (
            "A generative adversarial network: a generator turns 100 random numbers into a digit, and \
             a discriminator learns to tell its fakes from real MNIST digits. The generator never \
             sees a real image, only the discriminator's verdicts.",
            "Samples go from noise to blobs to strokes within a few hundred steps. Fewer classes \
             covered or a rising Fréchet distance means the generator is collapsing onto a few \
             digits; a discriminator loss near 0 means it has won and the generator stops learning.",
        ),
        ModelKind::Gan(GanKind::DcganPoly) => (
            "A DCGAN on 40x40 images of smooth polynomial surfaces, each row scaled to the same \
             brightness. Its generator takes just two noise numbers, so its noise plane can be \
             walked like a latent space.",
            "Samples turn from speckle into smooth shaded images, and the smoothness meter falls \
             towards the real data's. A diversity near 0 means every sample looks alike: the \
             generator has collapsed onto one image.",
        ),
        ModelKind::Gan(GanKind::WganPoly) => (
            "A Wasserstein GAN on the same polynomial images: its critic scores images instead of \
             classifying them, and how much higher it scores real images than generated ones \
             estimates the distance between the two (the Wasserstein distance). Clipping the \
             critic's weights keeps that estimate honest.",
            "Unlike a DCGAN's losses, the Wasserstein estimate tracks quality: it should fall as the \
             samples turn smooth and varied. Each step trains the critic several times, so steps are \
             slower than the DCGAN's.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Short enough to read at a glance, and one for each model of its own.
    #[test]
    fn every_model_is_described_briefly_and_differently() {
        let texts: Vec<_> = ModelKind::all().map(about).collect();
        for (kind, (does, look_for)) in ModelKind::all().zip(&texts) {
            for text in [does, look_for] {
                assert!((60..=400).contains(&text.len()), "{}: {} characters: {text}", kind.name(), text.len());
                assert!(text.ends_with('.') && !text.contains("  "), "{}: {text}", kind.name());
            }
        }
        for (i, a) in texts.iter().enumerate() {
            assert!(texts[i + 1..].iter().all(|b| a.0 != b.0 && a.1 != b.1), "{a:?} is repeated");
        }
    }
}
