// Benchmark: milliseconds per autoencoder training step (paper preset, batch 256) for each
// backend in headless Chromium, timed around Session.train() after a warm-up. Figures, not
// a test: it never fails on a number. Usage: node scripts/bench.mjs [backend ...]
// (default: flex ndarray). Needs the set-up (pkg/, data/mnist/) done.
import { launchChromium } from './chromium.mjs';
import { serve } from './serve.mjs';

const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['flex', 'ndarray'];
const server = await serve(0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium();
const results = [];
for (const backend of backends) {
  const page = await browser.newPage();
  // Any page of the server's origin will do: the benchmark imports the package itself.
  await page.goto(base + 'bench');
  const r = await page.evaluate(async ({ backend, steps }) => {
    const { default: init, Session } = await import('/pkg/latent_lab.js');
    await init();
    const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const bytes = await Promise.all(files.map(async (f) => new Uint8Array(await (await fetch('/data/mnist/' + f)).arrayBuffer())));
    const session = await Session.create(backend);
    session.loadMnist(...bytes);
    for (let i = 0; i < 5; i++) await session.train(1); // warm-up (shader compilation on WebGPU)
    const times = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await session.train(1);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const t0 = performance.now();
    await session.decode(1, 1);
    const decodeMs = performance.now() - t0;
    return { backend: session.backend().label, medianMs: times[times.length >> 1], decodeMs };
  }, { backend, steps: backend === 'webgpu' ? 5 : 40 });
  results.push({ requested: backend, ...r, stepsPerSec: 1000 / r.medianMs });
  await page.close();
}
await browser.close();
server.close();
console.log('backend                         ms/step (median)  steps/s  decode ms');
for (const r of results) {
  console.log(`${r.backend.padEnd(32)}${r.medianMs.toFixed(1).padStart(16)}${r.stepsPerSec.toFixed(1).padStart(9)}${r.decodeMs.toFixed(1).padStart(11)}`);
}
console.log(JSON.stringify({ date: new Date().toISOString(), model: 'ae', batch: 256, results }));
