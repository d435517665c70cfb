// The benchmark (issue 5): figures, not a test; it never fails on a number. Needs the set-up
// (pkg/, data/, the native build); `scripts/bench.sh` does that first and then runs this.
//
// For every case (a model and preset) and backend, in headless Chromium:
// - "steps": Session.train(1) in a bare page of the server's origin, after a warm-up:
//   the median milliseconds per step, steps per second, FLOP rate, and the shares of the
//   step spent stepping (on the CPU: computing; on WebGPU: recording and submitting) and
//   reading back (on WebGPU: waiting for the GPU). A case stops after --seconds; a case whose
//   steps do not finish within --limit seconds is reported as "> limit".
// - the same cases natively (`latent-lab bench`, burn-flex), for comparison.
// And per backend, in the real page (worker, charts, views) training the AE and then the live
// WGAN for --window seconds: steps per second, the worker's shares (stepping, read-back, the
// rest: views and messages), the main thread's busy share (drawing), and the gaps between
// animation frames (p50/p95/max); then, paused, the latency of a latent drag (pointer event
// to changed pixels of the decoded image). Also the wasm's size (raw, gzip) and the time from
// navigation to the first training step with the data in the browser's cache.
// And the peers, in the same browser and run: TF.js (WebAssembly backend) and jax-js
// (WebAssembly and WebGPU, jit) training the same autoencoder and VAE, and jax-js the GANs' live
// presets too (scripts/bench/, written from docs/models.md and the Rust catalog's presets),
// with full optimiser steps and the losses read back each step, timed by the same clock
// (scripts/bench/timing.js); the table gives this project's ms/step over each's.
//
// Usage: node scripts/bench.mjs [--cases ae,vae,wgan-poly:live,...] [--backends cpu,webgpu]
//        [--peers tfjs-wasm,jax-wasm,jax-webgpu] [--steps N] [--seconds S] [--limit S]
//        [--window S] [--json PATH] [--cpu-build DIR] [--gpu-build DIR] [--no-native] [--no-page]
// --cpu-build and --gpu-build time another package in place of pkg/ or pkg-gpu/ (a trial
// build, e.g. with burn's fusion: see docs/benchmarks.md and docs/experiments/); the page
// itself still loads pkg/ and pkg-gpu/.
// Backends are what `?backend=` takes: cpu, webgpu, flex, ndarray.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import { launchChromium, launchLab, serveBenchFiles, startSession } from './chromium.mjs';
import { MODELS as PEER_MODELS } from './bench/spec.js';
import { countGpuWork } from './bench/timing.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  if (name.startsWith('--no-')) return args.splice(i, 1) && true;
  return args.splice(i, 2)[1];
};
const ALL_CASES = 'ae,ae-classifier,vae,vae-classifier,dcgan-mnist:live,dcgan-mnist:paper,dcgan-poly:live,dcgan-poly:paper,wgan-poly:live,wgan-poly:paper';
const cases = option('--cases', ALL_CASES).split(',');
const backends = option('--backends', 'cpu,webgpu').split(',');
// Each peer: its module in scripts/bench/, the device it trains on, this project's backend it
// is compared with, and the cases it has where not all of spec.js's (TF.js: the autoencoders).
const PEERS = {
  'tfjs-wasm': { module: 'tfjs.js', device: 'wasm', versus: 'cpu', cases: ['ae', 'vae'] },
  'jax-wasm': { module: 'jax.js', device: 'wasm', versus: 'cpu' },
  'jax-webgpu': { module: 'jax.js', device: 'webgpu', versus: 'webgpu' },
};
const peers = option('--peers', Object.keys(PEERS).join(',')).split(',').filter(Boolean);
for (const p of peers) if (!PEERS[p]) throw new Error(`unknown peer ${p}: one of ${Object.keys(PEERS).join(', ')}`);
const peerHas = (peer, c) => PEER_MODELS[c] && (PEERS[peer].cases ?? [c]).includes(c);
const maxSteps = Number(option('--steps', 20));
const seconds = Number(option('--seconds', 15));
const limit = Number(option('--limit', 120));
const windowSeconds = Number(option('--window', 20));
const jsonPath = option('--json', 'test-artifacts/bench.json');
const native = !option('--no-native', false);
const inPage = !option('--no-page', false);
const cpuBuild = option('--cpu-build', 'pkg');
const gpuBuild = option('--gpu-build', 'pkg-gpu');
if (args.length) throw new Error(`unknown arguments: ${args.join(' ')}`);

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const report = { date: new Date().toISOString(), machine: `${os.cpus().length} x ${os.cpus()[0]?.model}`, steps: [], peers: [], native: [], page: [] };

// The page's two builds: the worker fetches pkg-gpu/ only for WebGPU (see www/js/worker.js).
const BUILDS = { cpu: cpuBuild, webgpu: gpuBuild };
report.wasm = Object.fromEntries(Object.entries(BUILDS).map(([backend, dir]) => {
  const wasm = readFileSync(new URL(`../${dir}/latent_lab_bg.wasm`, import.meta.url));
  return [backend, { build: `${dir}/`, rawBytes: wasm.length, gzipBytes: gzipSync(wasm, { level: 9 }).length }];
}));

if (native) {
  const target = process.env.CARGO_TARGET_DIR ?? 'target';
  const out = execFileSync(`${target}/release/latent-lab`, ['bench', '--cases', cases.join(','), '--steps', String(maxSteps), '--seconds', String(seconds)],
    { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  report.native = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

const lab = await launchLab();
const { base, browser } = lab;

/** A bare page of the lab's origin in a browser of its own, with /bench-files/ answered (see
 * `serveBenchFiles`). Each case gets its own browser: closing a page does not stop the work it
 * queued on the GPU process, which would slow the cases after one that ran out of time. */
async function benchPage(path) {
  const own = await launchChromium();
  const page = await own.newPage();
  await page.addInitScript(`(${countGpuWork})()`);
  await serveBenchFiles(page);
  await page.goto(base + path);
  return { own, page };
}

/** Races `run` against the case's time limit: its figures, or null past `limit`. */
const withinLimit = (run) => Promise.race([run, new Promise((resolve) => setTimeout(resolve, limit * 1000, null))]);

/** The median and total of timed steps (`{ ms }` each). */
function summary(steps) {
  const ms = steps.map((s) => s.ms).sort((a, b) => a - b);
  return { steps: ms.length, msPerStep: quantile(ms, 0.5), totalMs: ms.reduce((t, m) => t + m, 0) };
}

/** Session.train(1) timings of one case in a bare page; null figures past `limit`. */
async function stepFigures(backend, testCase) {
  const [model, preset] = testCase.split(':');
  const { own, page } = await benchPage('bench');
  const dir = BUILDS[backend] ?? BUILDS.cpu;
  const build = dir.startsWith('test-artifacts/') ? `bench-files/${dir}` : dir;
  const run = page.evaluate(startSession, { backend, build, model, preset }).then(() => page.evaluate(async ({ maxSteps, seconds }) => {
    const { timeSteps } = await import('/bench-files/timing.js');
    const session = window.session;
    const timed = await timeSteps(() => session.train(1), { maxSteps, seconds });
    const steps = timed.steps.map(({ ms, result }) => ({ ms, stepMs: result.stepMs, readBackMs: result.readBackMs }));
    const { dispatchesPerStep, submitsPerStep } = timed;
    return { label: session.backend().label, preset: session.config().presetText, flops: session.flopsPerStep(), steps, dispatchesPerStep, submitsPerStep };
  }, { maxSteps, seconds }));
  const r = await withinLimit(run);
  await own.close();
  if (!r) return { case: testCase, backend, timedOut: true, limitSeconds: limit };
  const { steps, msPerStep: median, totalMs: total } = summary(r.steps);
  const sum = (k) => r.steps.reduce((t, s) => t + s[k], 0);
  return {
    case: testCase, backend, label: r.label, preset: r.preset, steps, msPerStep: median, stepsPerSec: 1000 / median,
    flopsPerStep: r.flops, gflopsPerSec: r.flops / median / 1e6, stepShare: sum('stepMs') / total, readBackShare: sum('readBackMs') / total,
    dispatchesPerStep: r.dispatchesPerStep, submitsPerStep: r.submitsPerStep,
  };
}

/** A peer training `model` (scripts/bench/) in a bare page: its median ms per step after the
 * same warm-up, and its first and last loss (a GAN's: the critic's and the generator's), a
 * check that it trains. */
async function peerFigures(peer, model) {
  const { module, device } = PEERS[peer];
  const { own, page } = await benchPage('bench-files/page.html');
  const run = page.evaluate(async ({ module, device, model, maxSteps, seconds }) => {
    const { prepare } = await import(`/bench-files/${module}`);
    const { imagesPerStep, pixels, trainingImages } = await import('/bench-files/spec.js');
    const { warmUp, timeSteps } = await import('/bench-files/timing.js');
    const trainer = await prepare(model, device);
    // 32 steps' worth of real images, taken in turn.
    const size = imagesPerStep(model) * pixels(model);
    const images = await trainingImages(model, imagesPerStep(model) * 32);
    let i = 0;
    const step = () => trainer.step(images.subarray((i % 32) * size, (i++ % 32) * size + size));
    const first = await step();
    await warmUp(step);
    const { steps, dispatchesPerStep, submitsPerStep } = await timeSteps(step, { maxSteps, seconds });
    return { steps: steps.map(({ ms }) => ({ ms })), firstLoss: first, lastLoss: steps[steps.length - 1].result, dispatchesPerStep, submitsPerStep };
  }, { module, device, model, maxSteps, seconds }).catch((e) => ({ error: e.message.split('\n')[0] }));
  const r = await withinLimit(run);
  await own.close();
  if (!r) return { peer, model, timedOut: true, limitSeconds: limit };
  if (r.error) return { peer, model, error: r.error };
  const { steps, msPerStep } = summary(r.steps);
  const { firstLoss, lastLoss, dispatchesPerStep, submitsPerStep } = r;
  return { peer, model, device, steps, msPerStep, firstLoss, lastLoss, dispatchesPerStep, submitsPerStep };
}

/** The real page training `model` for `window` seconds, then a latent drag, paused. */
async function pageFigures(backend, model) {
  // A context of its own: the run the case before kept in IndexedDB would otherwise be offered
  // for resuming at the top of the page, moving the noise plane down out of the viewport.
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  // The worker's own account of each train() call, and the gaps between animation frames.
  await page.addInitScript(() => {
    const Native = window.Worker;
    window.benchTrain = [];
    window.Worker = class extends Native {
      constructor(...a) {
        super(...a);
        this.addEventListener('message', ({ data }) => {
          if (data?.type === 'metrics') window.benchTrain.push({ t: performance.now(), steps: data.step, stepMs: data.stepMs, readBackMs: data.readBackMs });
        });
      }
    };
    window.benchFrames = [];
    const frame = (t) => {
      window.benchFrames.push(t);
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  const t0 = Date.now();
  await page.goto(`${base}?backend=${backend}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 600_000 });
  await page.selectOption('#model', model);
  await page.waitForFunction((m) => document.body.dataset.model === m && document.body.dataset.step === '0', model);
  if (model.endsWith('-poly')) {
    await page.waitForFunction(() => (document.body.dataset.loaded ?? '').split(' ').includes('poly'), null, { timeout: 600_000 });
  }
  const ready = Date.now() - t0;
  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1, null, { timeout: limit * 1000 });
  const firstStep = Date.now() - t0;
  // A warm-up of a few seconds (first allocations, shader compilation), then the window.
  await page.waitForTimeout(backend === 'webgpu' ? 30_000 : 5_000);
  const busy = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value])).TaskDuration;
  const mark = () => page.evaluate(() => ({ now: performance.now(), train: window.benchTrain.length, frames: window.benchFrames.length, step: Number(document.body.dataset.step) }));
  const [busy0, m0] = [await busy(), await mark()];
  await page.waitForTimeout(windowSeconds * 1000);
  const [busy1, m1] = [await busy(), await mark()];
  const inWindow = await page.evaluate(({ m0, m1 }) => ({
    train: window.benchTrain.slice(m0.train, m1.train),
    gaps: window.benchFrames.slice(m0.frames, m1.frames).map((t, i, a) => (i ? t - a[i - 1] : null)).slice(1),
  }), { m0, m1 });
  await page.click('#play'); // pause
  const wall = m1.now - m0.now;
  const gaps = inWindow.gaps.sort((a, b) => a - b);
  const sum = (k) => inWindow.train.reduce((t, c) => t + c[k], 0);
  const figures = {
    backend, model, readyMs: ready, firstStepMs: firstStep, stepsPerSec: (1000 * (m1.step - m0.step)) / wall,
    workerStepShare: sum('stepMs') / wall, workerReadBackShare: sum('readBackMs') / wall,
    mainThreadBusyShare: (busy1 - busy0) / (wall / 1000),
    frameGapMs: gaps.length ? { p50: quantile(gaps, 0.5), p95: quantile(gaps, 0.95), max: gaps[gaps.length - 1] } : null,
  };
  const hasPlane = await page.locator('#latent').isVisible();
  if (hasPlane) {
    // Drag latency: from the pointer event to the first poll that sees the decoded image's
    // pixels change. The polls read the canvas's pixels back-to-back through a MessageChannel
    // (setTimeout would clamp them to 4 ms, and toDataURL encodes a PNG each time). Several
    // drags; the median.
    await page.locator('#latent').scrollIntoViewIfNeeded();
    const box = await page.locator('#latent').boundingBox();
    const latencies = [];
    for (let i = 0; i < 8; i++) {
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      await page.mouse.down();
      await page.waitForTimeout(300);
      const fx = 0.2 + 0.6 * ((i * 37) % 10) / 10;
      latencies.push(await page.evaluate(({ x, y }) => new Promise((resolve) => {
        const canvas = document.getElementById('decoded');
        const ctx = canvas.getContext('2d');
        const pixels = () => ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        const before = pixels();
        const changed = () => pixels().some((v, i) => v !== before[i]);
        const target = document.getElementById('latent');
        const { port1, port2 } = new MessageChannel();
        const t0 = performance.now();
        target.dispatchEvent(new PointerEvent('pointermove', { clientX: x, clientY: y, bubbles: true, pointerId: 1, buttons: 1, isPrimary: true }));
        port1.onmessage = () => {
          const dt = performance.now() - t0;
          if (changed()) resolve(dt);
          else if (dt > 5000) resolve(null);
          else port2.postMessage(null);
        };
        port2.postMessage(null);
      }), { x: box.x + box.width * fx, y: box.y + box.height * (1 - fx) }));
      await page.mouse.up();
    }
    const ok = latencies.filter((l) => l !== null).sort((a, b) => a - b);
    figures.dragMs = ok.length ? { median: quantile(ok, 0.5), max: ok[ok.length - 1], drags: ok.length } : null;
  }
  await context.close();
  return figures;
}

for (const backend of backends) {
  for (const c of cases) {
    const r = await stepFigures(backend, c);
    console.error(`${backend} ${c}: ${r.timedOut ? `> ${limit} s` : `${r.msPerStep.toFixed(1)} ms/step`}`);
    report.steps.push(r);
  }
  for (const peer of peers.filter((p) => PEERS[p].versus === backend)) {
    for (const model of cases.filter((c) => peerHas(peer, c))) {
      const r = await peerFigures(peer, model);
      console.error(`${peer} ${model}: ${r.msPerStep ? `${r.msPerStep.toFixed(1)} ms/step` : r.error ?? `> ${limit} s`}`);
      report.peers.push(r);
    }
  }
  for (const model of inPage ? ['ae', 'wgan-poly'] : []) {
    const r = await pageFigures(backend, model);
    console.error(`${backend} page ${model}: ${r.stepsPerSec.toFixed(2)} steps/s`);
    report.page.push(r);
  }
}
await lab.close();

// The table.
const f = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? '–' : v.toFixed(d));
const gpuWork = (r) => (r.dispatchesPerStep ? `${f(r.dispatchesPerStep, 0)} / ${f(r.submitsPerStep, 1)}` : '–');
const pct = (v) => (v === undefined ? '–' : `${Math.round(100 * v)} %`);
console.log(`\nLatent Lab benchmark, ${report.date}, ${report.machine}`);
for (const { build, rawBytes, gzipBytes } of Object.values(report.wasm)) {
  console.log(`wasm ${build}: ${(rawBytes / 2 ** 20).toFixed(1)} MB raw, ${(gzipBytes / 2 ** 20).toFixed(1)} MB gzip`);
}
console.log('');
console.log('| case | backend | ms/step | steps/s | GFLOP/step | GFLOP/s | stepping | read-back | dispatches / submits per step | native ms/step |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of report.steps) {
  const n = report.native.find((x) => x.case === r.case);
  const ms = r.timedOut ? `> ${r.limitSeconds * 1000}` : f(r.msPerStep);
  const flops = r.flopsPerStep ?? n?.flopsPerStep;
  console.log(`| ${r.case} | ${r.backend} | ${ms} | ${f(r.stepsPerSec, 2)} | ${f(flops / 1e9, 3)} | ${f(r.gflopsPerSec)} | ${pct(r.stepShare)} | ${pct(r.readBackShare)} | ${gpuWork(r)} | ${f(n?.msPerStep)} |`);
}
if (report.peers.length) {
  console.log('\n| peer | model | peer ms/step | this project | its ms/step | ratio (ours / peer) | peer dispatches / submits per step | peer loss first → last |');
  console.log('|---|---|---:|---|---:|---:|---:|---|');
  for (const p of report.peers) {
    const ours = report.steps.find((r) => r.case === p.model && r.backend === PEERS[p.peer].versus);
    const peerMs = p.msPerStep ? f(p.msPerStep) : p.error ? `failed: ${p.error}` : `> ${p.limitSeconds * 1000}`;
    // Two significant digits, so that a ratio far below 1 (a GAN against a slow peer) shows.
    const ratio = p.msPerStep && ours?.msPerStep ? (ours.msPerStep / p.msPerStep).toPrecision(2) : '–';
    const loss = (l) => [l].flat().map((v) => f(v, 4)).join(' / ');
    const losses = p.msPerStep ? `${loss(p.firstLoss)} → ${loss(p.lastLoss)}` : '–';
    console.log(`| ${p.peer} | ${p.model} | ${peerMs} | ${PEERS[p.peer].versus} | ${f(ours?.msPerStep)} | ${ratio} | ${gpuWork(p)} | ${losses} |`);
  }
}
console.log('\n| in the page | backend | steps/s | worker stepping | worker read-back | main thread busy | frame gap p50 / p95 / max ms | drag to pixels ms (median / max) | ready / first step s |');
console.log('|---|---|---:|---:|---:|---:|---|---|---|');
for (const r of report.page) {
  const g = r.frameGapMs;
  const gaps = g ? `${f(g.p50)} / ${f(g.p95)} / ${f(g.max)}` : '–';
  const drag = r.dragMs ? `${f(r.dragMs.median)} / ${f(r.dragMs.max)}` : '–';
  console.log(`| ${r.model} | ${r.backend} | ${f(r.stepsPerSec, 2)} | ${pct(r.workerStepShare)} | ${pct(r.workerReadBackShare)} | ${pct(r.mainThreadBusyShare)} | ${gaps} | ${drag} | ${f(r.readyMs / 1000)} / ${f(r.firstStepMs / 1000)} |`);
}
writeFileSync(jsonPath, JSON.stringify(report, null, 1));
console.log(`\nJSON: ${jsonPath}`);
