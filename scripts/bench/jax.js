// jax-js (npm @jax-js/jax) training the models of spec.js: the loss, its gradient and the
// Adam update of every parameter in one jit-compiled function, which jax-js fuses into a few
// kernels for WebAssembly or WebGPU. jax-js counts references: every Array passed to a
// function is consumed, and `.ref` keeps one for a later use.
import { defaultDevice, init, jit, nn, numpy as np, random, valueAndGrad } from '@jax-js/jax';
import { prepareGan } from './jax-gan.js';
import { ADAM, MODELS, initialWeights, layers } from './spec.js';

const act = { relu: (x) => nn.relu(x), sigmoid: (x) => nn.sigmoid(x), linear: (x) => x };

/** Dense layers `specs` applied to `x`, reading their weights and biases from `params` at `at`. */
function dense(params, at, specs, x) {
  specs.forEach(([, , activation], i) => {
    x = act[activation](np.dot(x, params[at + 2 * i]).add(params[at + 2 * i + 1]));
  });
  return x;
}

function aeLoss(params, x) {
  const spec = MODELS.ae;
  const code = dense(params, 0, spec.encoder, x.ref);
  const out = dense(params, 2 * spec.encoder.length, spec.decoder, code);
  return np.mean(np.square(out.sub(x)));
}

function vaeLoss(params, x, eps) {
  const spec = MODELS.vae;
  const batch = x.shape[0];
  const n = spec.encoder.length;
  const h = dense(params, 0, spec.encoder, x.ref);
  const mean = dense(params, 2 * n, [spec.heads[0]], h.ref);
  const logvar = dense(params, 2 * n + 2, [spec.heads[1]], h);
  const z = mean.ref.add(np.exp(logvar.ref.mul(0.5)).mul(eps));
  const out = dense(params, 2 * n + 4, spec.decoder, z);
  // Per image: 784 x MSE is the sum of squared errors; averaged over the batch.
  const reconstruction = np.square(out.sub(x)).sum().mul(1 / batch);
  const kl = logvar.ref.add(1).sub(np.square(mean)).sub(np.exp(logvar)).sum().mul(-0.5 / batch);
  return reconstruction.add(kl.mul(spec.beta));
}

/** A trainer for `model` on `device` ('wasm' or 'webgpu'): `step(x)` trains one batch of
 * images (Float32Array, batch x 784) and resolves to its loss, read back. The GANs' trainers
 * (jax-gan.js) take a step's images and resolve to two losses. */
export async function prepare(model, device) {
  const available = await init(device);
  if (!available.includes(device)) throw new Error(`jax-js: no ${device} device here`);
  defaultDevice(device);
  if (MODELS[model].rule) return prepareGan(model);
  const vae = model === 'vae';
  const batch = MODELS[model].batch;
  let params = initialWeights(model).flat().map((w) => np.array(w));
  const shapes = layers(model).flatMap(([i, o]) => [[i, o], [o]]);
  params = params.map((p, i) => p.reshape(shapes[i]));
  let m = shapes.map((s) => np.zeros(s));
  let v = shapes.map((s) => np.zeros(s));
  const { beta1, beta2, epsilon } = ADAM;
  // One function from the weights, Adam's moments, the rate and the batch (and the VAE's noise)
  // to the loss and the updated weights and moments.
  const train = jit((params, m, v, rate, ...data) => {
    const [loss, grads] = valueAndGrad(vae ? vaeLoss : aeLoss)(params.map((p) => p.ref), ...data);
    const next = params.map((p, i) => {
      const g = grads[i];
      m[i] = m[i].mul(beta1).add(g.ref.mul(1 - beta1));
      v[i] = v[i].mul(beta2).add(np.square(g).mul(1 - beta2));
      return p.sub(m[i].ref.mul(rate.ref).div(np.sqrt(v[i].ref).add(epsilon)));
    });
    rate.dispose();
    return [loss, next, m, v];
  });
  let t = 0;
  return {
    async step(images) {
      t += 1;
      // Adam's bias corrections folded into the rate, as Keras does.
      const rate = (ADAM.rate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const data = [np.array(images).reshape([batch, 784])];
      if (vae) data.push(random.normal(random.key(t), [batch, 2]));
      let loss;
      [loss, params, m, v] = train(params, m, v, np.array(rate), ...data);
      return (await loss.data())[0];
    },
  };
}
