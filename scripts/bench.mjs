// Benchmark: milliseconds per training step of one model for each backend in headless
// Chromium, timed around Session.train(1) after a warm-up. Figures, not a test: it never
// fails on a number. Needs the set-up (pkg/, data/) done.
// Usage: node scripts/bench.mjs [--model M] [--preset live|paper] [--steps N] [backend ...]
// Defaults: the autoencoder (paper preset, batch 256), 40 steps (5 on WebGPU), flex ndarray.
// For a GAN a step is one generator update with the critic updates before it.
import { launchLab } from './chromium.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [, value] = args.splice(i, 2);
  return value;
};
const model = option('--model', 'ae');
const preset = option('--preset', null);
const stepsOption = option('--steps', null);
const backends = args.length ? args : ['flex', 'ndarray'];

const lab = await launchLab();
const { base, browser } = lab;
const results = [];
for (const backend of backends) {
  const page = await browser.newPage();
  // Any page of the server's origin will do: the benchmark imports the package itself.
  await page.goto(base + 'bench');
  const steps = Number(stepsOption ?? (backend === 'webgpu' ? 5 : 40));
  const r = await page.evaluate(async ({ backend, steps, model, preset }) => {
    const { default: init, Session } = await import('/pkg/latent_lab.js');
    await init();
    const load = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
    const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const session = await Session.create(backend);
    session.loadMnist(...(await Promise.all(files.map((f) => load('/data/mnist/' + f)))));
    if (model.endsWith('-poly')) session.loadPolydata('polydata.npy', await load('/data/polydata.npy'));
    session.configure(preset ? { model, preset } : { model });
    const config = session.config();
    for (let i = 0; i < Math.min(5, steps); i++) await session.train(1); // warm-up (shader compilation on WebGPU)
    const times = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await session.train(1);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    let decodeMs = null;
    if (config.plane) {
      const t0 = performance.now();
      await session.decode(1, 1);
      decodeMs = performance.now() - t0;
    }
    return { backend: session.backend().label, preset: config.presetText, medianMs: times[times.length >> 1], decodeMs };
  }, { backend, steps, model, preset });
  results.push({ requested: backend, steps, ...r, stepsPerSec: 1000 / r.medianMs });
  await page.close();
}
await lab.close();
console.log(`model ${model}, preset ${results[0]?.preset}`);
console.log('backend                         ms/step (median)  steps/s  decode ms');
for (const r of results) {
  const decode = r.decodeMs === null ? '–' : r.decodeMs.toFixed(1);
  console.log(`${r.backend.padEnd(32)}${r.medianMs.toFixed(1).padStart(16)}${r.stepsPerSec.toFixed(2).padStart(9)}${decode.padStart(11)}`);
}
console.log(JSON.stringify({ date: new Date().toISOString(), model, results }));
