// The models the peers train, written from docs/models.md (the seed presets: the autoencoder
// at batch 256 and the VAE at batch 128, Adam at 1e-3), shared by the TF.js and jax-js
// versions so that both build the same layers from the same starting weights.

/** Dense layers as [inputs, outputs, activation]; the VAE's encoder ends in two heads. */
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
};

export const ADAM = { rate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** Every dense layer of `model` in the order the peers create them: encoder, heads, decoder. */
export function layers(model) {
  const spec = MODELS[model];
  if (!spec) throw new Error(`no peer model ${model}: one of ${Object.keys(MODELS).join(', ')}`);
  return [...spec.encoder, ...(spec.heads ?? []), ...spec.decoder];
}

/** Glorot-uniform weights and zero biases (Keras' defaults), from a fixed seed, as
 * `[weights, bias]` Float32Arrays per layer. */
export function initialWeights(model, seed = 1) {
  let s = seed >>> 0;
  const random = () => {
    // mulberry32: a small, fast 32-bit generator; the same weights in every browser.
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return layers(model).map(([inputs, outputs]) => {
    const limit = Math.sqrt(6 / (inputs + outputs));
    const w = Float32Array.from({ length: inputs * outputs }, () => (2 * random() - 1) * limit);
    return [w, new Float32Array(outputs)];
  });
}

/** The first `count` MNIST training images from the lab's server, as 784 floats in 0..1 each. */
export async function mnistImages(count) {
  const bytes = new Uint8Array(await (await fetch('/data/mnist/train-images-idx3-ubyte')).arrayBuffer());
  const pixels = bytes.subarray(16, 16 + count * 784);
  return Float32Array.from(pixels, (v) => v / 255);
}
