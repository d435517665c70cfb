//! What each model is made of, as the page draws it: a graph of its parts (encoder, decoder,
//! latent classifier, generator, discriminator or critic, and the data and noise they take),
//! whose nodes are layers with their output shapes and parameter counts, the edges between
//! them (a GAN's real and fake paths told apart), the loss terms and the nodes they take, and
//! the path from a point of the model's plane to the image it makes.
//!
//! Each network describes itself from the numbers it is built from ([`DenseShape`](super::DenseShape) and
//! the GAN configs), walking the same layers as its `init`; shapes follow from kernels and strides as
//! the layers compute them. The tests build every network and hold the diagram to it: the
//! parameters a diagram counts are the module's, and its shapes those of a forward pass.

use serde::Serialize;

use super::LatentKind;
use super::gan::{MnistDiscriminatorConfig, MnistGeneratorConfig, PolyCriticConfig, PolyGeneratorConfig};
use crate::data::IMAGE_PIXELS;

/// Classes of the latent classifiers' softmax.
const CLASSES: usize = 10;

/// A model's diagram (see the module's description).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagram {
    pub parts: Vec<Part>,
    /// In the order data flows through them.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub losses: Vec<Loss>,
    /// The nodes from a point of the model's plane (its latent code, or a GAN's noise) to the
    /// image it makes, in order: what a drag of the point runs.
    pub decode: Vec<String>,
}

/// A network or a source of data, which a diagram groups its nodes by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    pub id: &'static str,
    pub label: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum NodeKind {
    /// Images from the dataset.
    Data,
    /// A GAN's noise, N(0, I).
    Noise,
    /// A latent code: the point a user drags.
    Latent,
    /// The VAE's sampling of its latent code.
    Sample,
    Dense,
    Conv,
    /// A transposed convolution, after a nearest 2x upsampling where the label says so
    /// ("Upsample").
    Deconv,
    Reshape,
    Pad,
    Flatten,
}

/// One layer (or source), with what it outputs for one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    pub part: &'static str,
    pub kind: NodeKind,
    /// The layer as docs/models.md writes it, e.g. "ConvT 5x5 s2".
    pub label: String,
    /// What follows the layer (normalisation, activation, dropout), e.g. "BN, LeakyReLU"; their
    /// settings are docs/models.md's (BN 0.8, slope 0.2, dropout 0.25).
    pub detail: String,
    /// The output of one image: [features] or [channels, height, width].
    pub shape: Vec<usize>,
    /// Trained parameters: weights, biases, batch-norm scales and shifts.
    pub params: usize,
    /// Batch norm's running means and variances, which burn keeps beside the parameters.
    pub stats: usize,
}

/// Which of a GAN's inputs an edge carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Path {
    /// Real images, into the discriminator.
    Real,
    /// Noise, through the generator, into the discriminator.
    Fake,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    /// None where both (or, outside a GAN, the one input) pass.
    pub path: Option<Path>,
}

/// A loss term and the nodes whose outputs it takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loss {
    pub id: &'static str,
    /// What it is ("reconstruction", "KL", "classifier"), or whose ("generator loss").
    pub label: String,
    /// The term with its weight, e.g. "784 x MSE(output, input)".
    pub term: String,
    pub nodes: Vec<String>,
}

impl Diagram {
    fn new() -> Self {
        Diagram { parts: Vec::new(), nodes: Vec::new(), edges: Vec::new(), losses: Vec::new(), decode: Vec::new() }
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Everything a part's nodes hold: trained parameters and batch-norm statistics, which
    /// together are burn's `num_params` of the network the part is.
    pub fn floats(&self, part: &str) -> usize {
        self.nodes.iter().filter(|n| n.part == part).map(|n| n.params + n.stats).sum()
    }

    fn part(&mut self, id: &'static str, label: &'static str) {
        self.parts.push(Part { id, label });
    }

    fn source(&mut self, part: &'static str, id: &str, kind: NodeKind, label: &str, shape: Vec<usize>) -> Net<'_> {
        self.nodes.push(Node {
            id: id.into(),
            part,
            kind,
            label: label.into(),
            detail: String::new(),
            shape: shape.clone(),
            params: 0,
            stats: 0,
        });
        Net { diagram: self, part, at: id.into(), shape, path: None }
    }

    /// A network of `part` that takes the output of node `from`.
    fn net(&mut self, part: &'static str, from: &str) -> Net<'_> {
        let shape = self.node(from).map(|n| n.shape.clone()).unwrap_or_default();
        Net { diagram: self, part, at: from.into(), shape, path: None }
    }

    fn edge(&mut self, from: &str, to: &str, path: Option<Path>) {
        self.edges.push(Edge { from: from.into(), to: to.into(), path });
    }

    fn loss(&mut self, id: &'static str, label: &str, term: String, nodes: &[&str]) {
        self.losses.push(Loss { id, label: label.into(), term, nodes: nodes.iter().map(|&n| n.into()).collect() });
    }
}

/// What follows a layer: batch norm, an activation, dropout.
#[derive(Debug, Clone, Copy, Default)]
struct After {
    batch_norm: bool,
    activation: Option<&'static str>,
    dropout: bool,
}

const RELU: After = After { batch_norm: false, activation: Some("ReLU"), dropout: false };
const LEAKY: After = After { batch_norm: false, activation: Some("LeakyReLU"), dropout: false };
const BN_LEAKY: After = After { batch_norm: true, ..LEAKY };

impl After {
    fn with_dropout(self, dropout: bool) -> Self {
        After { dropout, ..self }
    }

    fn only(activation: &'static str) -> Self {
        After { activation: Some(activation), ..Self::default() }
    }

    fn text(self) -> String {
        let mut parts = Vec::new();
        if self.batch_norm {
            parts.push("BN");
        }
        parts.extend(self.activation);
        if self.dropout {
            parts.push("Dropout");
        }
        parts.join(", ")
    }
}

/// A network being described: each layer becomes a node fed by the previous one.
pub struct Net<'a> {
    diagram: &'a mut Diagram,
    part: &'static str,
    /// The node whose output the next layer takes.
    at: String,
    /// Its shape.
    shape: Vec<usize>,
    /// What the edges added carry.
    path: Option<Path>,
}

impl Net<'_> {
    fn features(&self) -> usize {
        self.shape.iter().product()
    }

    fn channels_and_side(&self) -> (usize, usize) {
        match self.shape[..] {
            [c, side, _] => (c, side),
            _ => (self.features(), 1),
        }
    }

    fn push(&mut self, id: &str, kind: NodeKind, label: String, shape: Vec<usize>, weights: usize, after: After) -> &mut Self {
        let features = shape[0];
        let (bn_params, stats) = if after.batch_norm { (2 * features, 2 * features) } else { (0, 0) };
        let node = Node {
            id: id.into(),
            part: self.part,
            kind,
            label,
            detail: after.text(),
            shape: shape.clone(),
            params: weights + bn_params,
            stats,
        };
        self.diagram.nodes.push(node);
        let from = std::mem::replace(&mut self.at, id.into());
        self.diagram.edge(&from, id, self.path);
        self.shape = shape;
        self
    }

    /// A Dense layer to `out` features.
    fn dense(&mut self, id: &str, out: usize, bias: bool, after: After) -> &mut Self {
        let input = self.features();
        self.push(id, NodeKind::Dense, format!("Dense {input}→{out}"), vec![out], input * out + if bias { out } else { 0 }, after)
    }

    /// A "same" convolution with bias, as `gan::conv` builds it: (k - 1) / 2 padding, so the
    /// side becomes (side + 2 pad - k) / stride + 1.
    fn conv(&mut self, id: &str, out: usize, kernel: usize, stride: usize, after: After) -> &mut Self {
        let (input, side) = self.channels_and_side();
        let side = (side + 2 * ((kernel - 1) / 2) - kernel) / stride + 1;
        let label = format!("Conv {kernel}x{kernel} s{stride}");
        self.push(id, NodeKind::Conv, label, vec![out, side, side], input * out * kernel * kernel + out, after)
    }

    /// A "same" transposed convolution without bias, as `gan::deconv` builds it: the side
    /// times the stride; `upsample` puts a nearest 2x upsampling before it.
    fn deconv(&mut self, id: &str, out: usize, kernel: usize, stride: usize, upsample: bool, after: After) -> &mut Self {
        let (input, side) = self.channels_and_side();
        let side = side * stride * if upsample { 2 } else { 1 };
        let upsampled = if upsample { "Upsample, " } else { "" };
        let label = format!("{upsampled}ConvT {kernel}x{kernel} s{stride}");
        self.push(id, NodeKind::Deconv, label, vec![out, side, side], input * out * kernel * kernel, after)
    }

    fn reshape(&mut self, id: &str, shape: Vec<usize>) -> &mut Self {
        self.push(id, NodeKind::Reshape, "Reshape".into(), shape, 0, After::default())
    }

    /// Zero padding of one row at the bottom and one column at the right ("+1").
    fn pad_bottom_right(&mut self, id: &str, after: After) -> &mut Self {
        let (c, side) = self.channels_and_side();
        self.push(id, NodeKind::Pad, "ZeroPad +1".into(), vec![c, side + 1, side + 1], 0, after)
    }

    /// Names what the last layer computes, e.g. "(mean)".
    fn named(&mut self, what: &str) -> &mut Self {
        if let Some(node) = self.diagram.nodes.last_mut() {
            node.label = format!("{} {what}", node.label);
        }
        self
    }

    fn flatten(&mut self, id: &str) -> &mut Self {
        let features = self.features();
        self.push(id, NodeKind::Flatten, "Flatten".into(), vec![features], 0, After::default())
    }
}

/// A GAN's generator or discriminator, describing the layers its `init` builds.
pub trait Describe {
    /// Adds the network's layers to `net`, which holds its input.
    fn describe(&self, net: &mut Net);
}

impl Describe for MnistGeneratorConfig {
    fn describe(&self, net: &mut Net) {
        let c = self.channels;
        net.dense("fc", c * 7 * 7, false, BN_LEAKY).reshape("reshape", vec![c, 7, 7]);
        net.deconv("deconv1", c / 2, 5, 1, false, BN_LEAKY).deconv("deconv2", c / 4, 5, 2, false, BN_LEAKY);
        net.deconv("fake", 1, 5, 2, false, After::only("tanh"));
    }
}

impl Describe for PolyGeneratorConfig {
    fn describe(&self, net: &mut Net) {
        let c = self.channels;
        net.dense("fc", c * 10 * 10, false, BN_LEAKY).reshape("reshape", vec![c, 10, 10]);
        net.deconv("deconv1", c, 3, 1, true, BN_LEAKY).deconv("deconv2", c / 2, 3, 1, true, BN_LEAKY);
        net.deconv("fake", 1, 3, 1, false, After::only("tanh"));
    }
}

impl Describe for MnistDiscriminatorConfig {
    fn describe(&self, net: &mut Net) {
        let c = self.channels;
        let dropout = !self.batch_norm;
        net.conv("conv1", c, 5, 2, LEAKY.with_dropout(dropout));
        net.conv("conv2", 2 * c, 5, 2, After { batch_norm: self.batch_norm, ..LEAKY }.with_dropout(dropout));
        net.flatten("flatten").dense("score", 1, true, After::default());
    }
}

impl Describe for PolyCriticConfig {
    fn describe(&self, net: &mut Net) {
        let w = self.width;
        net.conv("conv1", w, 3, 2, LEAKY.with_dropout(true));
        // Batch norm, activation and dropout follow the padding (see `PolyCritic::forward`).
        net.conv("conv2", 2 * w, 3, 2, After::default());
        net.pad_bottom_right("pad", BN_LEAKY.with_dropout(true));
        net.conv("conv3", 4 * w, 3, 2, BN_LEAKY.with_dropout(true)).conv("conv4", 8 * w, 3, 1, BN_LEAKY.with_dropout(true));
        net.flatten("flatten").dense("score", 1, true, After::default());
    }
}

/// How a GAN's two networks are trained against each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GanLoss {
    /// Binary cross-entropy on the discriminator's sigmoid.
    Bce,
    /// The Wasserstein loss of a critic with clipped weights.
    Wasserstein { n_critic: usize, clip: f32 },
}

/// The diagram of a GAN of `generator` and `critic`, trained by `loss`.
pub fn gan(generator: &impl Describe, noise: usize, critic: &impl Describe, side: usize, loss: GanLoss) -> Diagram {
    let wasserstein = matches!(loss, GanLoss::Wasserstein { .. });
    let (critic_part, critic_label) = if wasserstein { ("critic", "Critic") } else { ("discriminator", "Discriminator") };
    let mut d = Diagram::new();
    d.part("noise", "Noise");
    d.part("generator", "Generator");
    d.part("data", "Data");
    d.part(critic_part, critic_label);
    {
        let mut net = d.source("noise", "noise", NodeKind::Noise, "Noise z ~ N(0, I)", vec![noise]);
        net.part = "generator";
        net.path = Some(Path::Fake);
        generator.describe(&mut net);
    }
    d.source("data", "real", NodeKind::Data, "Real images", vec![1, side, side]);
    let first = d.nodes.len();
    critic.describe(&mut d.net(critic_part, "real"));
    // Real images enter the critic's first layer by the real path, the generator's by the
    // fake one; both then take the same layers.
    let input = d.nodes[first].id.clone();
    for edge in d.edges.iter_mut().filter(|e| e.from == "real") {
        edge.path = Some(Path::Real);
    }
    d.edge("fake", &input, Some(Path::Fake));
    match loss {
        GanLoss::Bce => {
            d.loss("critic", "discriminator loss", "BCE(sigmoid D(x), 1) + BCE(sigmoid D(G(z)), 0)".into(), &["score"]);
            d.loss("generator", "generator loss", "BCE(sigmoid D(G(z)), 1)".into(), &["score"]);
        }
        GanLoss::Wasserstein { n_critic, clip } => {
            let term = format!("mean D(G(z)) − mean D(x); {n_critic} updates per G step, weights clipped to ±{clip}");
            d.loss("critic", "critic loss", term, &["score"]);
            d.loss("generator", "generator loss", "−mean D(G(z))".into(), &["score"]);
        }
    }
    d.decode = d.nodes.iter().filter(|n| n.id == "noise" || n.part == "generator").map(|n| n.id.clone()).collect();
    d
}

/// The diagram of an autoencoder of `kind` whose VAE's KL term is weighted by `beta`.
pub fn latent(kind: LatentKind, beta: f64) -> Diagram {
    let shape = kind.shape();
    let variational = kind.is_variational();
    let mut d = Diagram::new();
    d.part("data", "Data");
    d.part("encoder", "Encoder");
    if variational {
        d.part("sampling", "Sampling");
    }
    d.part("decoder", "Decoder");
    if shape.classifier {
        d.part("classifier", "Latent classifier");
    }
    let code = {
        let mut net = d.source("data", "input", NodeKind::Data, "Images, flattened", vec![IMAGE_PIXELS]);
        net.part = "encoder";
        net.dense("enc1", shape.hidden1, true, RELU).dense("enc2", shape.hidden2, true, RELU);
        if variational {
            net.dense("mean", shape.latent, true, After::default()).named("(mean)");
            net.at = "enc2".into();
            net.shape = vec![shape.hidden2];
            net.dense("logVar", shape.latent, true, After::default()).named("(log-variance)");
            net.part = "sampling";
            net.at = "mean".into();
            let sample = After::only("mean + exp(logVar / 2) x eps");
            net.push("z", NodeKind::Sample, "Sample z".into(), vec![shape.latent], 0, sample);
            net.diagram.edge("logVar", "z", None);
            "z"
        } else {
            net.dense("latent", shape.latent, true, RELU);
            "latent"
        }
    };
    if let Some(node) = d.nodes.iter_mut().find(|n| n.id == code) {
        node.kind = NodeKind::Latent;
    }
    d.net("decoder", code).dense("dec2", shape.hidden2, true, RELU).dense("dec1", shape.hidden1, true, RELU).dense(
        "output",
        IMAGE_PIXELS,
        true,
        After::only("sigmoid"),
    );
    let (pixels, weight) = if variational {
        (format!("{IMAGE_PIXELS} x "), super::vae::CLASSIFIER_WEIGHT)
    } else {
        (String::new(), super::autoencoder::CLASSIFIER_WEIGHT)
    };
    d.loss("reconstruction", "reconstruction", format!("{pixels}MSE(output, input)"), &["input", "output"]);
    if variational {
        d.loss("kl", "KL", format!("{} x KL(N(mean, exp logVar) || N(0, I))", number(beta)), &["mean", "logVar"]);
    }
    if shape.classifier {
        d.net("classifier", code).dense("classes", CLASSES, true, After::only("softmax"));
        d.loss("classifier", "classifier", format!("{} x cross-entropy(classes, labels)", number(weight)), &["classes"]);
    }
    d.decode = [code, "dec2", "dec1", "output"].map(String::from).to_vec();
    d
}

/// A weight as a loss term writes it: 7.84, not 7.840000000000001.
fn number(v: f64) -> String {
    let rounded = format!("{v:.4}");
    let trimmed = rounded.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "0" && v != 0.0 { crate::error::shown(v) } else { trimmed.to_string() }
}

#[cfg(test)]
mod tests {
    use burn::prelude::*;

    use super::*;
    use crate::backend::{self, BackendKind};
    use crate::model::{Autoencoder, Vae};

    fn device() -> Device {
        backend::cpu(BackendKind::Flex, "test").device
    }

    #[test]
    fn the_autoencoders_diagrams_are_their_networks() {
        let device = device();
        for kind in [LatentKind::Autoencoder, LatentKind::AutoencoderClassifier, LatentKind::Vae, LatentKind::VaeClassifier] {
            let d = latent(kind, 0.01);
            let shape = kind.shape();
            let params: usize = d.nodes.iter().map(|n| n.params).sum();
            let images = Tensor::<2>::zeros([3, IMAGE_PIXELS], &device);
            let (num_params, code, output, classes) = if kind.is_variational() {
                let model = Vae::new(shape, &device);
                let out = model.forward(images);
                (model.num_params(), out.z.dims(), out.recon.dims(), out.class_logits.map(|t| t.dims()))
            } else {
                let model = Autoencoder::new(shape, &device);
                let out = model.forward(images);
                (model.num_params(), out.latent.dims(), out.recon.dims(), out.class_logits.map(|t| t.dims()))
            };
            assert_eq!(params, num_params, "{kind:?}");
            let code_id = &d.decode[0];
            assert_eq!(d.node(code_id).unwrap().shape, vec![code[1]], "{kind:?}");
            assert_eq!(d.node("input").unwrap().shape, vec![IMAGE_PIXELS]);
            assert_eq!(d.node("output").unwrap().shape, vec![output[1]], "{kind:?}");
            assert_eq!(d.node("classes").map(|n| n.shape.clone()), classes.map(|c| vec![c[1]]), "{kind:?}");
            assert_eq!(d.node("enc1").unwrap().params, IMAGE_PIXELS * shape.hidden1 + shape.hidden1);
        }
    }
}
