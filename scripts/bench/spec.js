// The models the peers train, written from docs/models.md, shared by the TF.js and jax-js
// versions so that both build the same layers from the same starting weights: the autoencoder
// at batch 256 and the VAE at batch 128 (Adam at 1e-3), and the GANs' live presets, whose
// widths, batches, rates and rules are the Rust catalog's (src/catalog/mod.rs, `recipe`).

/** A GAN network as its layers in order: ['dense', inputs, outputs, bias], ['conv', in, out,
 * kernel, stride] ("same", with bias), ['deconv', in, out, kernel, stride] (transposed, "same",
 * no bias), ['bn', features] (Keras' BatchNormalization, momentum 0.8), ['leaky'] (0.2),
 * ['dropout'] (0.25), ['up'] (nearest 2x), ['pad'] (a zero row and column after the last),
 * ['reshape', channels, side, side], ['flatten'], ['tanh']. */
const mnistGenerator = (c) => [
  ['dense', 100, c * 49, false], ['bn', c * 49], ['leaky'], ['reshape', c, 7, 7],
  ['deconv', c, c / 2, 5, 1], ['bn', c / 2], ['leaky'],
  ['deconv', c / 2, c / 4, 5, 2], ['bn', c / 4], ['leaky'],
  ['deconv', c / 4, 1, 5, 2], ['tanh'],
];
// The live preset's discriminator: batch norm in place of the reference's dropout.
const mnistCritic = (c) => [
  ['conv', 1, c, 5, 2], ['leaky'],
  ['conv', c, 2 * c, 5, 2], ['bn', 2 * c], ['leaky'],
  ['flatten'], ['dense', 2 * c * 49, 1, true],
];
// Upsampling, then a 3x3 transposed convolution, as docs/models.md writes it (the lab computes
// the pair as one 4x4 stride-2 transposed convolution: the same function with 16 of the 36
// multiply-adds per input pixel, src/model/gan.rs's upsample_deconv).
const polyGenerator = (c) => [
  ['dense', 2, c * 100, false], ['bn', c * 100], ['leaky'], ['reshape', c, 10, 10],
  ['up'], ['deconv', c, c, 3, 1], ['bn', c], ['leaky'],
  ['up'], ['deconv', c, c / 2, 3, 1], ['bn', c / 2], ['leaky'],
  ['deconv', c / 2, 1, 3, 1], ['tanh'],
];
// 40 -> 20 -> 10, padded to 11, -> 6 -> 6; a logit (DCGAN) or a linear score (WGAN).
const polyCritic = (w) => [
  ['conv', 1, w, 3, 2], ['leaky'], ['dropout'],
  ['conv', w, 2 * w, 3, 2], ['pad'], ['bn', 2 * w], ['leaky'], ['dropout'],
  ['conv', 2 * w, 4 * w, 3, 2], ['bn', 4 * w], ['leaky'], ['dropout'],
  ['conv', 4 * w, 8 * w, 3, 1], ['bn', 8 * w], ['leaky'], ['dropout'],
  ['flatten'], ['dense', 8 * w * 36, 1, true],
];

/** The autoencoders: dense layers as [inputs, outputs, activation]; the VAE's encoder ends in
 * two heads. The GANs: `side` of their images, `data`, `noise` dimension, the networks, the
 * training `rule` (docs/models.md: "joint" and "alternating" binary cross-entropy with Adam, or
 * "wasserstein" with RMSprop, `nCritic` critic updates a step and clipping), the players' rates
 * and the decay of the moving average of the generator's weights that the lab samples from. */
export const MODELS = {
  ae: {
    batch: 256,
    encoder: [[784, 128, 'relu'], [128, 64, 'relu'], [64, 2, 'relu']],
    decoder: [[2, 64, 'relu'], [64, 128, 'relu'], [128, 784, 'sigmoid']],
  },
  vae: {
    batch: 128,
    encoder: [[784, 512, 'relu'], [512, 64, 'relu']],
    heads: [[64, 2, 'linear'], [64, 2, 'linear']],
    decoder: [[2, 64, 'relu'], [64, 512, 'relu'], [512, 784, 'sigmoid']],
    beta: 0.01,
  },
  'dcgan-mnist:live': {
    batch: 32, side: 28, data: 'mnist', noise: 100,
    generator: mnistGenerator(32), critic: mnistCritic(16),
    rule: { kind: 'joint', beta1: 0.5 }, rates: { generator: 5e-4, critic: 5e-4 }, ema: 0.99,
  },
  'dcgan-poly:live': {
    batch: 16, side: 40, data: 'poly', noise: 2,
    generator: polyGenerator(8), critic: polyCritic(8),
    rule: { kind: 'alternating', beta1: 0.5 }, rates: { generator: 1e-3, critic: 5e-4 }, ema: 0.99,
  },
  'wgan-poly:live': {
    batch: 16, side: 40, data: 'poly', noise: 2,
    generator: polyGenerator(16), critic: polyCritic(8),
    rule: { kind: 'wasserstein', nCritic: 2, clip: 0.2 }, rates: { generator: 1e-3, critic: 5e-4 }, ema: 0.99,
  },
};

export const ADAM = { rate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
/** Keras' RMSprop (rho 0.9, no momentum), which the WGAN trains with. */
export const RMSPROP = { rho: 0.9, epsilon: 1e-7 };
export const BATCH_NORM = { momentum: 0.8, epsilon: 1e-3 };
export const LEAKY_SLOPE = 0.2;
export const DROPOUT = 0.25;

/** Every dense layer of `model` in the order the peers create them: encoder, heads, decoder. */
export function layers(model) {
  const spec = MODELS[model];
  if (!spec?.encoder) throw new Error(`no peer autoencoder ${model}: one of ae, vae`);
  return [...spec.encoder, ...(spec.heads ?? []), ...spec.decoder];
}

/** mulberry32: a small, fast 32-bit generator of floats in [0, 1); the same weights and data in
 * every browser. */
function uniform(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` Glorot-uniform floats for the fans `fanIn` and `fanOut` (Keras' default). */
function glorot(random, count, fanIn, fanOut) {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return Float32Array.from({ length: count }, () => (2 * random() - 1) * limit);
}

/** Glorot-uniform weights and zero biases (Keras' defaults), from a fixed seed, as
 * `[weights, bias]` Float32Arrays per layer. */
export function initialWeights(model, seed = 1) {
  const random = uniform(seed);
  return layers(model).map(([inputs, outputs]) => [glorot(random, inputs * outputs, inputs, outputs), new Float32Array(outputs)]);
}

/** The parameters of a GAN network (`layers` as in MODELS) in the order its layers take them,
 * as `[values, shape]`: Glorot-uniform weights from a fixed seed (a convolution's fans are
 * kernel x kernel x its channels on each side, as in Keras), zero biases and shifts, unit
 * batch-norm scales. Dense weights are [inputs, outputs]; convolution kernels [out, in, k, k]. */
export function networkParams(layers, seed) {
  const random = uniform(seed);
  const zeros = (n) => [new Float32Array(n), [n]];
  return layers.flatMap(([op, ...a]) => {
    if (op === 'dense') {
      const [inputs, outputs, bias] = a;
      return [[glorot(random, inputs * outputs, inputs, outputs), [inputs, outputs]], ...(bias ? [zeros(outputs)] : [])];
    }
    if (op === 'conv' || op === 'deconv') {
      const [inputs, outputs, k] = a;
      const kernel = [glorot(random, inputs * outputs * k * k, inputs * k * k, outputs * k * k), [outputs, inputs, k, k]];
      return op === 'conv' ? [kernel, zeros(outputs)] : [kernel];
    }
    if (op === 'bn') return [[new Float32Array(a[0]).fill(1), [a[0]]], zeros(a[0])];
    return [];
  });
}

/** `count` polynomial contour images, 40 x 40 floats each, from a fixed seed (docs/models.md,
 * "Polynomial images"): a degree d in 0..4, coefficients c[i][j] ~ N(0, 1) for i + j <= d,
 * img[y][x] = sum c[i][j] (x/40)^i (y/40)^j, every row scaled to unit L2 norm. */
export function polyImages(count, seed = 3) {
  const random = uniform(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const images = new Float32Array(count * 1600);
  for (let n = 0; n < count; n++) {
    const d = Math.floor(5 * random());
    const c = Array.from({ length: (d + 1) ** 2 }, normal); // c[i * (d + 1) + j]
    for (let y = 0; y < 40; y++) {
      const row = images.subarray(n * 1600 + y * 40, n * 1600 + y * 40 + 40);
      for (let x = 0; x < 40; x++) {
        for (let i = 0; i <= d; i++) for (let j = 0; i + j <= d; j++) row[x] += c[i * (d + 1) + j] * (x / 40) ** i * (y / 40) ** j;
      }
      const norm = Math.hypot(...row);
      if (norm > 0) row.forEach((v, x) => (row[x] = v / norm));
    }
  }
  return images;
}

/** Real images one training step of `model` takes: a batch, or one for each critic update. */
export function imagesPerStep(model) {
  const spec = MODELS[model];
  return spec.batch * (spec.rule?.nCritic ?? 1);
}

/** Floats of one image of `model`. */
export function pixels(model) {
  return (MODELS[model].side ?? 28) ** 2;
}

/** The first `count` training images of `model`: MNIST from the lab's server in 0..1 (the
 * autoencoders) or -1..1 (the MNIST DCGAN), or polynomial images. */
export async function trainingImages(model, count) {
  const spec = MODELS[model];
  if (spec.data === 'poly') return polyImages(count);
  const bytes = new Uint8Array(await (await fetch('/data/mnist/train-images-idx3-ubyte')).arrayBuffer());
  const raw = bytes.subarray(16, 16 + count * 784);
  return spec.data === 'mnist' ? Float32Array.from(raw, (v) => (v - 127.5) / 127.5) : Float32Array.from(raw, (v) => v / 255);
}
