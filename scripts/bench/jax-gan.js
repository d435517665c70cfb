// jax-js (npm @jax-js/jax) training the GANs of spec.js at their live presets, as the lab's
// trainer does (src/train/gan.rs): one step is the critic's updates and the generator's, with
// their optimisers, the WGAN's clipping and the moving average of the generator's weights, all
// in one jit-compiled function. It takes the step's real batches and a fresh PRNG key, from
// which it draws the noise and the dropout masks. As in jax.js, every Array passed to a
// function is consumed, and `.ref` (or `tree.ref` for a list) keeps one for a later use.
import { jit, lax, nn, numpy as np, random, tree, valueAndGrad } from '@jax-js/jax';
import { ADAM, BATCH_NORM, DROPOUT, LEAKY_SLOPE, MODELS, RMSPROP, imagesPerStep, networkParams } from './spec.js';

/** `layers` (spec.js) applied to `x` with their parameters `params`, in training: batch norm
 * normalises by the batch's statistics and, given `running` (each layer's running mean and
 * variance), returns those moved toward the batch's; with `inference` it normalises by
 * `running` instead. `key` draws the dropout masks. Returns [output, moved running statistics]. */
function apply(layers, params, x, { running = null, inference = false, key = null } = {}) {
  params = [...params]; // taken from the front, in the order of spec.js's networkParams
  running = running && [...running];
  const moved = [];
  const drops = layers.filter(([op]) => op === 'dropout').length;
  const keys = drops ? [...random.split(key, drops)] : [];
  if (!drops) key?.dispose();
  for (const [op, ...a] of layers) {
    if (op === 'dense') {
      x = np.dot(x, params.shift());
      if (a[2]) x = x.add(params.shift());
    } else if (op === 'conv') {
      x = lax.conv(x, params.shift(), [a[3], a[3]], 'SAME').add(params.shift().reshape([-1, 1, 1]));
    } else if (op === 'deconv') {
      x = lax.convTranspose(x, params.shift(), [a[3], a[3]], 'SAME');
    } else if (op === 'bn') {
      // Per feature: over the batch, and over the pixels of a feature map.
      const [axes, shape] = x.ndim === 4 ? [[0, 2, 3], [-1, 1, 1]] : [[0], [-1]];
      const [mean, variance] = inference ? running.shift() : [np.mean(x.ref, axes), np.var_(x.ref, axes)];
      if (running && !inference) {
        const [m, v] = running.shift();
        const blend = (old, now) => old.mul(BATCH_NORM.momentum).add(lax.stopGradient(now).mul(1 - BATCH_NORM.momentum));
        moved.push([blend(m, mean.ref), blend(v, variance.ref)]);
      }
      const scale = params.shift().div(np.sqrt(variance.add(BATCH_NORM.epsilon)));
      x = x.sub(mean.reshape(shape)).mul(scale.reshape(shape)).add(params.shift().reshape(shape));
    } else if (op === 'leaky') {
      x = nn.leakyRelu(x, LEAKY_SLOPE);
    } else if (op === 'dropout') {
      const keep = 1 - DROPOUT;
      x = np.where(random.bernoulli(keys.shift(), keep, x.shape), x.mul(1 / keep), 0);
    } else if (op === 'up') {
      x = np.repeat(np.repeat(x, 2, 2), 2, 3);
    } else if (op === 'pad') {
      x = np.pad(x, [[0, 0], [0, 0], [0, 1], [0, 1]]);
    } else if (op === 'reshape') {
      x = x.reshape([x.shape[0], ...a]);
    } else if (op === 'flatten') {
      x = x.reshape([x.shape[0], -1]);
    } else if (op === 'tanh') {
      x = np.tanh(x);
    }
  }
  return [x, moved];
}

/** Adam with `beta1`, its bias corrections folded into the rate (as Keras does): `rate(base,
 * t)` on the host for the t-th update, `update` inside the jit. */
function adam(beta1) {
  const { beta2, epsilon } = ADAM;
  return {
    init: (shapes) => ({ m: shapes.map((s) => np.zeros(s)), v: shapes.map((s) => np.zeros(s)) }),
    rate: (base, t) => (base * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t),
    update(params, grads, { m, v }, rate) {
      const next = params.map((p, i) => {
        m[i] = m[i].mul(beta1).add(grads[i].ref.mul(1 - beta1));
        v[i] = v[i].mul(beta2).add(np.square(grads[i]).mul(1 - beta2));
        return p.sub(m[i].ref.mul(rate.ref).div(np.sqrt(v[i].ref).add(epsilon)));
      });
      rate.dispose();
      return [next, { m, v }];
    },
  };
}

/** Keras' RMSprop without momentum, in the same shape as `adam`. */
const rmsprop = {
  init: (shapes) => ({ v: shapes.map((s) => np.zeros(s)) }),
  rate: (base) => base,
  update(params, grads, { v }, rate) {
    const { rho, epsilon } = RMSPROP;
    const next = params.map((p, i) => {
      v[i] = v[i].mul(rho).add(np.square(grads[i].ref).mul(1 - rho));
      return p.sub(grads[i].mul(rate.ref).div(np.sqrt(v[i].ref).add(epsilon)));
    });
    rate.dispose();
    return [next, { v }];
  },
};

/** -log(sigmoid(x)) for real (label 1), -log(1 - sigmoid(x)) for fake, as softplus so that a
 * confident discriminator gives a finite loss; the mean over the batch. */
const bce = (logits, real) => nn.softplus(real ? logits.neg() : logits).mean();

/** A trainer for the GAN `model` (a key of spec.js's MODELS) on jax-js's default device:
 * `step(images)` trains one step on `imagesPerStep(model)` real images (Float32Array) and
 * resolves to its critic and generator losses, read back. */
export function prepareGan(model) {
  const spec = MODELS[model];
  const { kind, nCritic = 1, clip } = spec.rule;
  const optimiser = kind === 'wasserstein' ? rmsprop : adam(spec.rule.beta1);
  // Critic updates per step: one for the joint rule, the real and the fake batch's for the
  // alternating one, nCritic for the WGAN.
  const criticUpdates = { joint: 1, alternating: 2, wasserstein: nCritic }[kind];
  const arrays = (layers, seed) => networkParams(layers, seed).map(([values, shape]) => np.array(values).reshape(shape));
  const shapes = (params) => params.map((p) => p.shape);
  const [g, d] = [arrays(spec.generator, 1), arrays(spec.critic, 2)];
  let state = {
    g,
    d,
    gOpt: optimiser.init(shapes(g)),
    dOpt: optimiser.init(shapes(d)),
    // The generator's batch-norm running statistics: the WGAN's critic judges fakes made with
    // them. The critics' own are never read in training and are not kept.
    running: spec.generator.filter(([op]) => op === 'bn').map(([, n]) => [np.zeros([n]), np.ones([n])]),
    average: arrays(spec.generator, 1), // the moving average starts as the generator's weights
  };

  const critic = (d, x, key) => apply(spec.critic, d, x, { key })[0];
  const noise = (key) => random.normal(key, [spec.batch, spec.noise]);
  // The generator's loss through the critic, whose weights are constants here (only `g` is
  // differentiated); the generated batch, without gradient, and the moved running statistics
  // come out beside it.
  const generatorLoss = (g, d, z, running, key) => {
    const [fake, moved] = apply(spec.generator, g, z, { running });
    const score = critic(d, fake.ref, key);
    const loss = kind === 'wasserstein' ? score.mean().neg() : bce(score, true);
    return [loss, { fake: lax.stopGradient(fake), running: moved }];
  };
  // The critic's loss on a real batch and a generated one, each in a pass of its own (with its
  // own batch statistics), as the lab computes it.
  const criticLoss = (d, real, fake, keys) => {
    const [onReal, onFake] = [critic(tree.ref(d), real, keys[0]), critic(d, fake, keys[1])];
    return kind === 'wasserstein' ? onFake.mean().sub(onReal.mean()) : bce(onReal, true).add(bce(onFake, false));
  };

  // One step: `rates` holds a rate per update, the critic's first; `blend` is the generator's
  // weight in its moving average.
  const train = jit((s, rates, real, key, blend) => {
    // A key for each draw, split off one at a time.
    const draw = () => {
      const [rest, sub] = random.split(key);
      key = rest;
      return sub;
    };
    const updateCritic = (grads) => ([s.d, s.dOpt] = optimiser.update(s.d, grads, s.dOpt, rates.shift()));
    let criticLossValue;
    if (kind === 'wasserstein') {
      for (const batch of real) {
        // Fakes from the generator in inference mode (running statistics), as Keras' predict.
        const [fake] = apply(spec.generator, tree.ref(s.g), noise(draw()), { running: tree.ref(s.running), inference: true });
        const [loss, grads] = valueAndGrad(criticLoss)(tree.ref(s.d), batch, lax.stopGradient(fake), [draw(), draw()]);
        updateCritic(grads);
        s.d = s.d.map((p) => np.clip(p, -clip, clip));
        criticLossValue?.dispose(); // the last update's loss is the step's
        criticLossValue = loss;
      }
    } else if (kind === 'alternating') {
      // D on the real batch, then on a generated one, then G through the updated D.
      const [onReal, realGrads] = valueAndGrad((d, x, k) => bce(critic(d, x, k), true))(tree.ref(s.d), real[0], draw());
      updateCritic(realGrads);
      const [fake, moved] = apply(spec.generator, tree.ref(s.g), noise(draw()), { running: s.running });
      s.running = moved;
      const [onFake, fakeGrads] = valueAndGrad((d, x, k) => bce(critic(d, x, k), false))(tree.ref(s.d), lax.stopGradient(fake), draw());
      updateCritic(fakeGrads);
      criticLossValue = onReal.add(onFake).mul(0.5); // Keras reports the mean of the two
    }
    const [[generatorLossValue, aux], generatorGrads] = valueAndGrad(generatorLoss, { hasAux: true })(
      tree.ref(s.g), tree.ref(s.d), noise(draw()), s.running, draw());
    if (kind === 'joint') {
      // D on the real batch and G's batch; both gradients come from the models before either update.
      const [loss, grads] = valueAndGrad(criticLoss)(tree.ref(s.d), real[0], aux.fake, [draw(), draw()]);
      updateCritic(grads);
      criticLossValue = loss;
    } else {
      aux.fake.dispose();
    }
    s.running = aux.running;
    [s.g, s.gOpt] = optimiser.update(s.g, generatorGrads, s.gOpt, rates.shift());
    s.average = s.average.map((a, i) => a.ref.add(s.g[i].ref.sub(a).mul(blend.ref)));
    blend.dispose();
    key.dispose();
    return [np.stack([criticLossValue, generatorLossValue]), s];
  });

  const images = spec.batch * spec.side ** 2;
  let t = 0;
  return {
    async step(pixels) {
      t += 1;
      const real = Array.from({ length: imagesPerStep(model) / spec.batch }, (_, i) =>
        np.array(pixels.subarray(i * images, (i + 1) * images)).reshape([spec.batch, 1, spec.side, spec.side]));
      const rates = Array.from({ length: criticUpdates }, (_, i) => optimiser.rate(spec.rates.critic, (t - 1) * criticUpdates + i + 1));
      rates.push(optimiser.rate(spec.rates.generator, t));
      // The lab's average: the weights themselves at first, then a decay that is lower early
      // on, as in TensorFlow's ExponentialMovingAverage with num_updates.
      const blend = t === 1 ? 1 : 1 - Math.min(spec.ema, t / (9 + t));
      let losses;
      [losses, state] = train(state, rates.map((r) => np.array(r)), real, random.key(t), np.array(blend));
      return Array.from(await losses.data());
    },
  };
}
