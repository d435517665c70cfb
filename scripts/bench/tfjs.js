// TensorFlow.js (the tfjs bundle with the WebAssembly backend, loaded as scripts by page.html onto
// `window.tf`) training the models of spec.js: one optimizer.minimize per step, eager, with
// tf.train.adam.
import { ADAM, MODELS, initialWeights, layers } from './spec.js';

const tf = window.tf;
const act = { relu: (x) => tf.relu(x), sigmoid: (x) => tf.sigmoid(x), linear: (x) => x };

/** A trainer for `model` on TF.js's WebAssembly backend: `step(x)` trains one batch and
 * resolves to its loss, read back. */
export async function prepare(model) {
  tf.wasm.setWasmPaths('/bench-files/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the WebAssembly backend did not start');
  const spec = MODELS[model];
  const batch = spec.batch;
  const weights = initialWeights(model).map(([w, b], i) => {
    const [inputs, outputs] = layers(model)[i];
    return [tf.variable(tf.tensor2d(w, [inputs, outputs])), tf.variable(tf.tensor1d(b))];
  });
  let at = 0;
  const take = (specs) => specs.map((s) => [weights[at++], s[2]]);
  const encoder = take(spec.encoder);
  const heads = take(spec.heads ?? []);
  const decoder = take(spec.decoder);
  const apply = (parts, x) => parts.reduce((h, [[w, b], a]) => act[a](tf.add(tf.matMul(h, w), b)), x);
  const loss = (x) => {
    if (model !== 'vae') return tf.losses.meanSquaredError(x, apply(decoder, apply(encoder, x)));
    const h = apply(encoder, x);
    const mean = apply([heads[0]], h);
    const logvar = apply([heads[1]], h);
    const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal([batch, 2])));
    const reconstruction = tf.div(tf.sum(tf.square(tf.sub(apply(decoder, z), x))), batch);
    const kl = tf.mul(tf.sum(tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mean)), tf.exp(logvar))), -0.5 / batch);
    return tf.add(reconstruction, tf.mul(kl, spec.beta));
  };
  const optimizer = tf.train.adam(ADAM.rate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  const variables = weights.flat();
  return {
    async step(images) {
      const x = tf.tensor2d(images, [batch, 784]);
      const value = optimizer.minimize(() => loss(x), true, variables);
      const [l] = await value.data();
      tf.dispose([x, value]);
      return l;
    },
  };
}
