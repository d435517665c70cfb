// The training worker: owns the wasm instance and its one Session, so that the CPU backend's
// synchronous compute never blocks the page. It trains in time-boxed chunks and yields
// between them, so pause, step, drag and control messages are answered at once.
// The messages both ways: protocol.js. What models there are and what they can show comes
// from the Session's catalog and config; the worker names none of them.
import { RunHistory } from './history.js';
import { FROM_WORKER, checked } from './protocol.js';
import { Keeper } from './keeper.js';
import { deleteRun, listRuns, loadRun, saveRun } from './store.js';

// What set-up puts in data/ beside the page (the page says where that is: a static build keeps
// its code in a versioned folder, and its data outside it): each built-in 28x28 dataset's four
// IDX files, gzipped (the Session inflates them), in data/NAME/, and its judge in
// data/NAME-judge.bpk.
let dataDir = null;
const IDX_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
const CHUNK_MS = 30; // aim of one train() call: short enough to stay responsive
const MAX_STEPS_PER_CALL = 64; // bounds how stale the loss read-back can get on a fast GPU

/** How many steps the next call takes, to last about CHUNK_MS, after `steps` took `dt` ms. */
const nextChunk = (steps, dt) => Math.max(1, Math.min(MAX_STEPS_PER_CALL, Math.round((CHUNK_MS * steps) / Math.max(dt, 1e-3))));
const EVAL_EVERY_MS = 2000;
const SCATTER_EVERY_MS = 1000;
const RECON_EVERY_MS = 2500;
const MANIFOLD_EVERY_MS = 3000;
const MANIFOLD_SIDE = 20; // images per side of the decoded manifold
const INTERPOLATION_FRAMES = 24;
const SAMPLES_EVERY_MS = 2000;

// The classes and functions of the build start() loaded.
let Session = null;
let Collector = null;
let checkpointInfo = null;
let checkpointRun = null;
let session = null;
// Whether the session has a model to train (false while a model's data is being fetched).
let ready = false;
let running = false;
let looping = false;
let stepsPerCall = 1;
// Epochs finished when last scored; null after a resume or rollback, until the next report says.
let lastEpoch = 0;
let currentStep = 0; // the step that evaluations between chunks are reported at
// The worker's current settings, as the Session last reported them, and its catalog.
let config = null;
let catalog = null;
// What the latent card shows, as the page last said (see the 'view' message).
const view = { latentMode: 'z', manifold: false, extent: null };
const rate = { steps: 0, since: 0, value: 0 };
// Side of the real-image grid last posted beside the samples; null once the run changes.
let realSide = null;

// One Session call in flight at a time: every call goes through this queue.
let queue = Promise.resolve();
function exclusive(fn) {
  const result = queue.then(fn);
  queue = result.catch(() => {});
  return result;
}

// What the page's charts have shown of the run, kept here, where every figure passes on its
// way to them, so that a checkpoint carries it without the page serialising thousands of
// steps on its main thread.
const runHistory = new RunHistory();

function post(msg, transfer = []) {
  checked(msg, FROM_WORKER);
  record(msg); // before postMessage transfers the message's arrays away
  postMessage(msg, transfer);
}

// Follows the charts: they start over with a model, drop what a rollback undoes and replay a
// loaded run's curves.
function record(msg) {
  switch (msg.type) {
    case 'ready':
    case 'reset':
      runHistory.clear();
      break;
    case 'metrics':
      runHistory.addMetrics(msg);
      break;
    case 'eval':
      runHistory.addEval(msg);
      break;
    case 'rolledBack':
      runHistory.truncate(msg.step);
      break;
    case 'history':
      for (const m of RunHistory.messages(msg.text, config.family)) {
        if (m.type === 'eval') runHistory.addEval(m);
        else runHistory.addMetrics(m);
      }
      break;
  }
}

// A trap in the wasm code (a Rust panic, or memory that could not grow: "RuntimeError:
// unreachable") leaves the instance, and the Session in it, unusable: nothing more can be
// asked of this worker, so the page is told to start a new one.
const trapped = (err) => err instanceof WebAssembly.RuntimeError;

function reportError(err, fatal = false) {
  if (trapped(err)) {
    running = false;
    post({ type: 'crashed', message: String(err) });
    return;
  }
  post({ type: 'error', message: err?.message ?? String(err), name: err?.name, field: err?.field, fatal });
}
// The Session's asynchronous calls run in wasm-bindgen's task queue, so a trap there may
// reject a promise that nothing awaits.
addEventListener('unhandledrejection', (e) => {
  if (!trapped(e.reason)) return;
  e.preventDefault();
  reportError(e.reason);
});

// Yields to the event loop without setTimeout's 4 ms clamp.
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
function nextTask() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

// The response for `url` under data/, or an error that says which file failed and, when the
// server answered but had no such file, how to get it (`hint`).
async function request(url, hint) {
  const where = url.pathname.replace(/^.*\/data\//, 'data/');
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`${where} could not be fetched (${e.message}). Check that the page's server is running.`);
  }
  if (!response.ok) throw new Error(`${where} could not be fetched (HTTP ${response.status}). ${hint}`);
  return response;
}

// Fetches `files` (names under `dir`) one after the other, reporting progress as `loading`
// messages about `what`; `hint` says how to get a missing file.
async function fetchFiles(what, dir, files, hint) {
  const responses = [];
  for (const name of files) responses.push(await request(new URL(name, dir), hint));
  const totals = responses.map((r) => Number(r.headers.get('Content-Length')) || 0);
  const loaded = files.map(() => 0);
  const total = totals.reduce((a, b) => a + b, 0);
  const progress = (i) => post({
    type: 'loading', what, file: files[i], loaded: loaded[i], total: totals[i] || loaded[i],
    overall: total ? loaded.reduce((a, b) => a + b, 0) / total : 0,
  });
  const buffers = [];
  for (let i = 0; i < files.length; i++) {
    const parts = [];
    const reader = responses[i].body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      loaded[i] += value.length;
      progress(i);
    }
    const bytes = new Uint8Array(loaded[i]);
    let offset = 0;
    for (const p of parts) {
      bytes.set(p, offset);
      offset += p.length;
    }
    buffers.push(bytes);
  }
  return buffers;
}

const SETUP_HINT = 'Run the set-up command (README command 1), which puts the data in data/.';

// The Session's answer to a change of settings, taken in the same turn of the queue as the
// change (see `restart`): the page shows the settings in force, and a new run starts the
// views over.
function configured(result) {
  config = result.config;
  ready = result.ready;
  if (!ready) {
    // Show the model's settings while its data is fetched; loading it starts the run.
    running = false;
    post({ type: 'reset' });
    post({ type: 'config', config });
  } else if (result.reset) {
    restart();
  } else {
    post({ type: 'config', config });
  }
  return result;
}

// What follows a change of settings: a model whose data is not here yet waits for it, a new
// run draws its views.
async function settle({ ready: loaded, reset, config: next }) {
  if (!loaded) await ensureSlot(next.slot);
  else if (reset) await refreshViews(true);
}

// The wasm instance's exports: its linear memory's size goes out with the metrics (the soak
// script watches it).
let wasm = null;

// The page's two builds of the crate: pkg/ trains on the CPU; pkg-gpu/ adds burn's WebGPU
// backend (wgpu and cubecl), which more than doubles the download, and is fetched only when
// it may be used: asked for (?backend=webgpu), or timed against the CPU because a hardware
// adapter is there (the rule backend::select applies: a software adapter, far slower than
// the CPU, is timed only with &probe=force). Its Session falls back to the CPU by itself
// when the GPU fails.
async function wantsWebGpu(backend, timeSoftware) {
  if (backend === 'webgpu') return true;
  if (backend !== 'auto') return false;
  try {
    const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
    return Boolean(adapter) && (timeSoftware || !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter));
  } catch {
    return false;
  }
}

// Command 1 serves the page before the WebGPU build is made, which it then makes behind it;
// until it is there, the backend's reason says so.
const GPU_NOT_READY = 'WebGPU build not ready yet: training on the CPU';
let gpuBuildMissing = false;

/** The Session's backend, as the page shows it. */
function shownBackend() {
  const backend = session.backend();
  const waiting = { phrase: 'CPU: GPU build still on its way', reason: GPU_NOT_READY };
  return gpuBuildMissing && backend.kind !== 'webgpu' ? { ...backend, ...waiting } : backend;
}

async function start(backend, link, keep, timeSoftware) {
  keeper.limit = keep;
  let build = (await wantsWebGpu(backend, timeSoftware)) ? 'pkg-gpu' : 'pkg';
  if (build === 'pkg-gpu') {
    try {
      gpuBuildMissing = !(await fetch(new URL('../../pkg-gpu/latent_lab_bg.wasm', import.meta.url), { method: 'HEAD' })).ok;
    } catch {
      gpuBuildMissing = true;
    }
    if (gpuBuildMissing) build = 'pkg';
  }
  let init;
  let describe;
  ({ default: init, Session, Collector, checkpointInfo, checkpointRun, catalog: describe } = await import(`../../${build}/latent_lab.js`));
  wasm = await init();
  catalog = describe();
  post({ type: 'catalog', catalog });
  try {
    session = await Session.create(backend, timeSoftware);
  } catch (e) {
    reportError(e); // an unknown ?backend= value: say so, and carry on with the automatic choice
    session = await Session.create('auto');
  }
  gpuRun = session.backend().kind === 'webgpu';
  post({ type: 'backend', backend: shownBackend() });
  // The link is applied before any data arrives, so that the page never shows, nor writes
  // into the address bar, a set-up other than the link's. Its refusals are shown once the
  // page is.
  let refusals = [];
  try {
    if (link.length) ({ refusals } = session.configureLink(link));
  } catch (e) {
    refusals = [e];
  }
  await checkInstalled();
  config = session.config();
  // Only the data of the link's model is fetched (or made): loading it starts the run and
  // shows the page.
  await ensureSlot(config.slot);
  for (const refusal of refusals) reportError(refusal);
  await offerSavedRuns();
  await keeper.offer();
}

// Which built-in datasets set-up installed (Fashion-MNIST needs Debian's package): the page
// lists the others as not installed rather than failing when they are picked.
const installed = {};
async function checkInstalled() {
  await Promise.all(catalog.datasets.filter((d) => d.slot === 'side28').map(async ({ name }) => {
    try {
      installed[name] = (await fetch(new URL(`${name}/${IDX_FILES[0]}`, dataDir), { method: 'HEAD' })).ok;
    } catch {
      installed[name] = false;
    }
  }));
  post({ type: 'datasets', installed });
}

// The names of the models the catalog knows: a kept run of any other is damaged.
const modelNames = () => catalog.models.map((m) => m.name);

// The runs kept in this browser, for the page to offer (a browser without IndexedDB has none).
async function offerSavedRuns() {
  let runs = [];
  try {
    runs = await listRuns(modelNames());
  } catch (e) {
    post({ type: 'autosaved', error: `Runs cannot be kept in this browser: ${e?.message ?? e}` });
  }
  post({ type: 'savedRuns', runs });
}

// The data the Session holds for each slot (`side28`, `side40`), as it last reported it, and
// the built-in dataset picked for each (the slot's first until another is picked).
const loadedData = {};
const picked = {};
const builtin = (name) => catalog.datasets.find((d) => d.name === name);
const pickedFor = (slot) => picked[slot] ?? catalog.datasets.find((d) => d.slot === slot).name;

// Loads what a model of `slot` needs, unless the Session has it already.
async function ensureSlot(slot) {
  if (!loadedData[slot]) await loadBuiltin(pickedFor(slot));
}

// A built-in dataset: a 28x28 one is fetched (gzipped, 11 MB for MNIST); the polynomial
// images are made by the Session (the same 20,000 as `latent-lab polydata` writes, from seed
// 1) rather than downloaded (128 MB). Loading data starts a new run only if the model being
// shown trains on data of its size: a model picked in the meantime keeps its run. One load
// of a dataset at a time.
const inFlight = new Map();
function loadBuiltin(name) {
  if (!inFlight.has(name)) {
    inFlight.set(name, (async () => {
      const d = builtin(name);
      if (!d) throw new Error(`There is no built-in dataset '${name}'.`);
      if (d.slot !== 'side28') return loadData(() => session.generatePolydata());
      if (installed[name] === false) {
        throw new Error(`${d.label} is not installed. ${SETUP_HINT} (Without apt, put its four .gz IDX files in data/${name}/.)`);
      }
      const files = await fetchFiles(d.label, new URL(`${name}/`, dataDir), IDX_FILES, SETUP_HINT);
      return loadData(() => session.loadIdx(name, ...files));
    })().finally(() => inFlight.delete(name)));
  }
  return inFlight.get(name);
}

// Hands data to the Session (`load` is the Session call) and, when that started the current
// model's run over, the page starts its views over too.
async function loadData(load) {
  const info = await exclusive(() => {
    const loaded = load();
    loadedData[loaded.slot] = loaded;
    post({ type: 'data', data: loaded });
    if (loaded.restarted) {
      ready = true;
      restart();
    }
    return loaded;
  });
  if (info.notice) post({ type: 'notice', message: info.notice });
  if (info.restarted) await refreshViews(true);
  return info;
}

// Your own files ({path, bytes}, dropped or chosen on the page, or kept in this browser) for
// the models of `slot`: the Session's collector takes each file and hands back the images in
// it, which the browser decodes here. Nothing changes until all of them are in and the
// Session took them. Files given anew are kept in this browser when they fit the size the
// page allows; `kept` is the record they came from, with its judge, when they were.
async function loadOwn(name, files, slot = config.slot, kept = null) {
  const collector = new Collector(slot);
  try {
    collector.checkCount(name, files.length);
    const progress = (done, file) => post({ type: 'loading', what: name, file, loaded: done, total: files.length, overall: done / files.length, unit: 'files' });
    for (const [i, { path, bytes }] of files.entries()) {
      for (const image of collector.addFile(path, new Uint8Array(bytes))) {
        const pixels = await decodeImage(image.bytes);
        if (pixels.error) collector.skip(image.path, pixels.error);
        else collector.addRgba(image.path, pixels.width, pixels.height, pixels.rgba);
      }
      if (i % 16 === 15 || i === files.length - 1) progress(i + 1, path);
    }
  } catch (e) {
    collector.free();
    throw e;
  }
  const info = await loadData(() => session.loadOwn(collector, name));
  const { hash } = info.id;
  if (kept?.judge) {
    await exclusive(() => session.loadOwnJudge(hash, kept.judge));
    judged.add(hash);
    post({ type: 'judge', hash, dataset: name, state: 'ready', step: 0, steps: 0, accuracy: null });
  }
  if (info.restarted) {
    const grid = await exclusive(() => session.realImages(PREVIEW_SIDE));
    post({ type: 'preview', name, ...grid }, [grid.rgba.buffer]);
  }
  await keeper.given({ hash, name, slot: info.slot, files }, Boolean(kept));
}

// Your data kept in this browser, with the judge the Session holds for it.
const keeper = new Keeper(post, async (hash) => (judged.has(hash) ? exclusive(() => session.judgeBytes(hash)) : null));

// Your data as this browser kept it, files and judge; `why` says what it is needed for.
async function loadKept(hash, slot, why = '') {
  const kept = await keeper.read(hash, why);
  await loadOwn(kept.name, kept.files, slot, kept);
}
const PREVIEW_SIDE = 8;

// A PNG or JPEG as RGBA pixels, by the browser's own decoder, or why it could not be read.
async function decodeImage(bytes) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  } catch (e) {
    return { error: e?.message || 'not an image the browser can decode' };
  }
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  return { width, height, rgba: new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length) };
}

// A judge is fetched the first time the MNIST DCGAN starts on its built-in dataset; the
// meters wait for it. Your own labelled data gets one trained here when the page asks.
const judgeLoads = new Map();
// The built-in datasets' names and your data's hashes whose judge the Session holds.
const judged = new Set();
function ensureJudge() {
  const id = loadedData.side28?.id;
  const name = id?.builtin && builtin(id.name)?.judged ? id.name : null;
  if (!name || judgeLoads.has(name)) return;
  judgeLoads.set(name, (async () => {
    // Half a megabyte: no progress bar.
    const bytes = new Uint8Array(await (await request(new URL(`${name}-judge.bpk`, dataDir), SETUP_HINT)).arrayBuffer());
    await exclusive(() => session.loadJudge(name, bytes));
    judged.add(name);
  })().catch((e) => {
    judgeLoads.delete(name); // the next start of the model tries again
    reportError(e);
  }));
}
function hasJudge() {
  const id = loadedData.side28?.id;
  return Boolean(id) && (judged.has(id.hash) || (id.builtin && judged.has(id.name)));
}

// Trains a judge for the loaded labelled 28x28 data, in short calls between the run's own
// (which goes on, if it is playing), reporting how far it got; kept with the data's files.
const JUDGE_REPORT_MS = 250;
let judging = false;
async function trainJudge() {
  if (judging) return;
  judging = true;
  let plan = null;
  const report = (state, progress = {}) => post({
    type: 'judge', hash: plan.hash, dataset: plan.dataset, state, step: progress.step ?? 0, steps: plan.steps, accuracy: progress.accuracy ?? null,
  });
  try {
    plan = await exclusive(() => session.startJudge());
    report('training');
    let steps = 1;
    let reported = performance.now();
    for (;;) {
      const t0 = performance.now();
      const progress = await exclusive(() => session.trainJudge(steps));
      const dt = performance.now() - t0;
      steps = nextChunk(steps, dt);
      if (progress.accuracy !== null) {
        judged.add(plan.hash);
        report('ready', progress);
        break;
      }
      if (performance.now() - reported > JUDGE_REPORT_MS) {
        reported = performance.now();
        report('training', progress);
      }
      await nextTask();
    }
  } catch (e) {
    if (plan) report('failed');
    throw e;
  } finally {
    judging = false;
  }
  views.find((v) => v.name === 'samples').last = -Infinity;
  if (!running) await refreshViews();
  if (keeper.last?.hash === plan.hash) await keeper.keep();
}

async function trainChunk(maxSteps) {
  const t0 = performance.now();
  const steps = Math.min(stepsPerCall, maxSteps);
  const r = await session.train(steps);
  const dt = performance.now() - t0;
  currentStep = r.step;
  stepsPerCall = nextChunk(steps, dt);
  // The speed is of training that runs by itself: a step taken by hand while paused says
  // nothing about it.
  if (looping) {
    runTimes.push(dt / steps);
    if (runTimes.length > 2 * RUN_CHUNKS_TIMED) runTimes.shift();
    rate.steps += steps;
    const now = performance.now();
    if (!rate.since) rate.since = t0;
    if (now - rate.since > 1000) {
      rate.value = (1000 * rate.steps) / (now - rate.since);
      rate.steps = 0;
      rate.since = now;
    }
  }
  const arrays = Object.values(r).filter((v) => v instanceof Float32Array);
  const diverged = r.diverged;
  const message = { ...r, type: 'metrics', family: config.family, stepsPerSec: rate.value, wasmMemory: wasm.memory.buffer.byteLength };
  post(message, arrays.map((a) => a.buffer));
  if (diverged) {
    // Training stops here: the page says what happened and offers the way back.
    running = false;
    post({ type: 'diverged', ...diverged, config });
    return;
  }
  // Each finished epoch of an autoencoder is scored on the whole test set, the figure the
  // reference reports.
  lastEpoch ??= r.epoch;
  if (config.family === 'latent' && r.epoch > lastEpoch) {
    lastEpoch = r.epoch;
    const ev = await session.evaluate(true);
    post({ type: 'eval', step: r.step, epoch: r.epoch, ...ev });
  }
}

// The views refreshed while training: each is redone every `every` ms, or less often when
// it is slow (a software GPU adapter takes seconds per evaluation), so that no view takes
// more than about a tenth of the worker's time away from training.
const MAX_VIEW_SHARE = 0.1;
const views = [
  {
    name: 'scatter',
    every: SCATTER_EVERY_MS,
    wanted: () => config.family === 'latent',
    async run() {
      const mode = view.latentMode;
      const { points, labels } = await session.latents(mode === 'mean');
      post({ type: 'scatter', step: currentStep, mode, points, labels }, [points.buffer, labels.buffer]);
    },
  },
  {
    name: 'manifold',
    every: MANIFOLD_EVERY_MS,
    wanted: () => config.plane && view.manifold && view.extent !== null,
    async run() {
      const { x0, x1, y0, y1 } = view.extent;
      const m = await session.manifold(x0, x1, y0, y1, MANIFOLD_SIDE);
      post({ type: 'manifold', step: currentStep, extent: view.extent, n: MANIFOLD_SIDE, ...m }, [m.rgba.buffer]);
    },
  },
  {
    name: 'eval',
    every: EVAL_EVERY_MS,
    wanted: () => config.family === 'latent',
    async run() {
      post({ type: 'eval', step: currentStep, ...(await session.evaluate(false)) });
    },
  },
  {
    name: 'recon',
    every: RECON_EVERY_MS,
    wanted: () => config.family === 'latent',
    async run() {
      const r = await session.reconstructions();
      post({ type: 'recon', step: currentStep, ...r }, [r.originals.buffer, r.recons.buffer]);
    },
  },
  {
    // A snapshot of the samples and the meters, both of the generator at one step, so that
    // the step under the grid is the meters' step (the MNIST DCGAN's meters wait for a judge).
    // The real images of the same size go beside the grid once per run and grid size.
    name: 'samples',
    every: SAMPLES_EVERY_MS,
    wanted: () => config.family === 'gan',
    async run() {
      const n = config.gridSide;
      if (realSide !== n) {
        const real = await session.realImages(n);
        post({ type: 'real', ...real }, [real.rgba.buffer]);
        realSide = n;
      }
      const grid = await session.samples(n);
      const meters = !config.judged || hasJudge() ? await session.meters() : null;
      post({ type: 'samples', step: currentStep, count: n * n, ...grid, meters }, [grid.rgba.buffer]);
    },
  },
].map((v) => ({ ...v, last: -Infinity, cost: 0 }));

// Redraws whatever is due (or everything, when `all`).
async function refreshViews(all = false) {
  if (!ready) return;
  for (const v of views) {
    const interval = Math.max(v.every, v.cost / MAX_VIEW_SHARE);
    if (!v.wanted() || (!all && performance.now() - v.last < interval)) continue;
    const t0 = performance.now();
    await exclusive(() => v.run());
    v.last = performance.now();
    v.cost = v.last - t0;
  }
}

// A new window for the speed: one that spanned a pause, or another run, would understate it.
function restartRate() {
  rate.steps = 0;
  rate.since = 0;
}

async function loop() {
  if (looping) return;
  looping = true;
  restartRate();
  post({ type: 'state', running: true });
  try {
    while (running) {
      await train(Infinity);
      await onDevice(() => refreshViews());
      await nextTask();
    }
  } catch (e) {
    running = false;
    reportError(e);
  } finally {
    looping = false;
    post({ type: 'state', running: false });
  }
}

// Whether the run is on WebGPU, kept here rather than asked of the Session, which is busy
// whenever another call of it is in flight.
let gpuRun = false;

// Runs `work` (Session calls); when it fails on WebGPU (the device was lost, or the GPU
// returned an error), the run moves to the CPU instead of stopping. A lost device fails
// whichever call comes first, a step or a view drawn between steps.
async function onDevice(work) {
  const gpu = gpuRun;
  try {
    await work();
  } catch (e) {
    if (!gpu) throw e;
    await fallBack(e?.message ?? String(e));
  }
}

// Trains up to `steps` steps (see `onDevice` for a failing GPU).
const train = (steps) => onDevice(() => exclusive(() => trainChunk(steps)));

// The run went on on another backend at `step` (the GPU failed, or the automatic choice moved
// it): the worker's bookkeeping follows it, and the chunk size and speed are measured afresh.
// Called inside the queue.
function movedBackend(step) {
  gpuRun = session.backend().kind === 'webgpu';
  currentStep = step;
  stepsPerCall = 1;
  runTimes.length = 0;
  restartRate();
  post({ type: 'backend', backend: shownBackend() });
}

// The GPU failed: the run goes on on the CPU from its last good state and the page says so.
// Both a failed step and the device's `lost` promise (see watchGpuDevices) call this; the
// first moves the run, the second finds it on the CPU already.
async function fallBack(why) {
  const moved = await exclusive(() => {
    if (!gpuRun) return null;
    const { step } = session.fallBackToCpu(`the GPU failed (${why})`);
    movedBackend(step);
    lastEpoch = null;
    const goOn = running ? 'training goes on on the CPU' : 'the run moved to the CPU (press Play to go on)';
    post({ type: 'rolledBack', config, step, message: `The GPU failed (${why}), so ${goOn} from step ${step}, its last good state.` });
    return step;
  });
  if (moved !== null) await refreshViews(true);
}

// burn asks for its WebGPU device from inside wasm and keeps it there. Wrapping
// requestDevice lets the worker watch the device's `lost` promise, so a lost GPU moves the
// run to the CPU at once, even while training is paused and no step would notice.
function watchGpuDevices() {
  const adapter = self.GPUAdapter?.prototype;
  if (!adapter) return;
  const requestDevice = adapter.requestDevice;
  adapter.requestDevice = async function (...args) {
    const device = await requestDevice.apply(this, args);
    device.lost.then((info) => {
      if (info.reason === 'destroyed') return; // dropped on purpose, not lost
      fallBack(`the WebGPU device was lost: ${info.message || info.reason}`).catch((e) => reportError(e));
    });
    return device;
  };
}
watchGpuDevices();

// The run as checkpoint bytes with the charts' history, the model and step they are of, and
// how long training waited for them (`tookMs`); null while the model waits for its data or
// before `fromStep`. All three are taken in one turn of the queue, and every change of run
// happens inside the queue too (see `restart`), so a change of model asked for before this
// cannot put one run's bytes under another's name.
function snapshot(fromStep) {
  return exclusive(async () => {
    if (!ready || currentStep < fromStep) return null;
    const { model } = config;
    const step = currentStep;
    const started = performance.now();
    const bytes = await session.checkpoint(JSON.stringify(runHistory));
    return { model, step, bytes, tookMs: performance.now() - started };
  });
}

// A new model (or new weights, trained for `step` steps): the worker's bookkeeping follows
// the Session, and the page starts its views over (`refreshViews(true)` draws them afresh
// once the queue is free). Called inside the queue, in the same turn as the Session call that
// made the new run, so that no other call sees the worker's model, step and history disagree
// with the Session's run.
function restart(step = 0) {
  lastEpoch = step ? null : 0;
  stepsPerCall = 1;
  currentStep = step;
  realSide = null;
  restartRate();
  for (const v of views) v.last = -Infinity;
  config = session.config();
  if (config.judged) ensureJudge();
  runTimes.length = 0;
  post({ type: 'reset' });
  post({ type: 'ready', backend: shownBackend(), data: loadedData[config.slot] ?? null, config, evalCount: catalog.evalSubset, step });
  if (ready) setTimeout(() => chooseBackend().catch((e) => reportError(e)));
}

// The automatic choice of backend (`?backend=auto` with a hardware adapter, or any adapter
// with `&probe=force`): the run starts on the CPU at once, and for each model a copy of it, a
// trial, is timed on the rival backend beside it; the Session moves the run to the faster.
// What was measured is remembered per model and adapter in this browser (the page keeps it),
// so that a later visit goes straight to the faster one. The trial's first steps compile its
// kernels and are not timed; the run trains between them.
const TRIAL_WARM_STEPS = 2;
const TRIAL_TIMED_STEPS = 5;
const RUN_CHUNKS_TIMED = 3;
// The run's own ms per step in its latest chunks of training by itself.
const runTimes = [];
// The page's remembered measurements, by `choiceKey`.
let choices = {};
// The model a choice is being made for, or null.
let choosing = null;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const choiceKey = (model, backends) => `${model} on ${backends.find((b) => b.kind === 'webgpu')?.label}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Every Session call, the backend's description included, goes through the queue: the
// Session is busy while another call of it is in flight.
async function chooseBackend() {
  const model = config.model;
  if (choosing === model) return;
  choosing = model;
  let trial = null;
  let run = null;
  const current = () => choosing === model && config.model === model && ready;
  try {
    if (!(await exclusive(() => session.backend().rival))) return;
    try {
      [trial, run] = await exclusive(async () => (current() ? [await session.startTrial(), session.backend()] : [null, null]));
    } catch (e) {
      if (trapped(e)) throw e;
      // The rival did not start: the session has dropped it and its header says why.
      await exclusive(() => post({ type: 'backend', backend: shownBackend() }));
      return;
    }
    if (!trial) return;
    const key = choiceKey(model, [run, trial.backend()]);
    let known = choices[key];
    // Remembered the other way round (the run was on the other backend then).
    if (known && known.trialKind !== trial.backend().kind) known = { runMs: known.trialMs, trialMs: known.runMs };
    // The trial's kernels compile in these steps whether it is timed or only moved onto.
    const movesThere = !known || known.trialMs < known.runMs;
    for (let i = 0; movesThere && i < TRIAL_WARM_STEPS; i++) {
      if (!(await exclusive(() => current() && (session.stepTrial(trial, 1), true)))) return;
      await trial.finish();
    }
    if (!known) {
      while (runTimes.length < RUN_CHUNKS_TIMED) {
        if (!current()) return;
        await sleep(200);
      }
      const trialMs = await exclusive(async () => {
        if (!current()) return null;
        const t0 = performance.now();
        session.stepTrial(trial, TRIAL_TIMED_STEPS);
        await trial.finish();
        return (performance.now() - t0) / TRIAL_TIMED_STEPS;
      });
      if (trialMs === null) return;
      known = { runKind: run.kind, runMs: median(runTimes), trialKind: trial.backend().kind, trialMs };
      choices[key] = known;
      post({ type: 'choice', key, ...known });
    }
    const settled = await exclusive(async () => {
      if (!current()) return null;
      const done = await session.settle(trial, known.runMs, known.trialMs);
      trial = null;
      if (done.moved) movedBackend(done.step);
      else post({ type: 'backend', backend: shownBackend() });
      return done;
    });
    if (settled?.moved) await refreshViews(true);
  } finally {
    trial?.free();
    if (choosing === model) choosing = null;
  }
}

// Before a checkpoint (`name`) is loaded: the built-in data it trained on is fetched, and
// your own data it trained on is taken from this browser's storage, when other data is
// loaded; a model whose data is not here yet gets its usual data. The Session refuses a
// checkpoint of other data by name.
async function fetchDataOf(name, bytes) {
  let info;
  try {
    info = checkpointInfo(bytes);
  } catch {
    return; // a damaged file: loading it says what is wrong
  }
  const slot = catalog.models.find((m) => m.name === info.model)?.slot;
  const { dataset } = info;
  if (!slot) return;
  if (!dataset || loadedData[slot]?.id.hash === dataset.hash) {
    await ensureSlot(slot);
  } else if (dataset.builtin && builtin(dataset.name)) {
    picked[slot] = dataset.name;
    await loadBuiltin(dataset.name);
  } else if (!dataset.builtin) {
    await loadKept(dataset.hash, slot, `${name} trained on your data '${dataset.name}'. `);
  }
}

const handlers = {
  async init({ backend, link, keepBytes: keep, data, timeSoftware, choices: remembered }) {
    try {
      dataDir = new URL(data);
      choices = remembered ?? {};
      await start(backend ?? 'auto', link ?? [], Number.isFinite(keep) && keep >= 0 ? keep : 0, Boolean(timeSoftware));
    } catch (e) {
      reportError(e, true);
    }
  },
  play() {
    if (!ready) return; // the model's data is still on its way
    running = true;
    loop();
  },
  pause() {
    running = false;
  },
  async step() {
    if (running || !ready) return;
    await train(1);
    await refreshViews(true);
  },
  async reset() {
    await exclusive(() => {
      session.reset();
      restart();
    });
    await refreshViews(true);
  },
  // After a divergence: back to the last good state with the learning rates times `factor`.
  async rollback({ factor }) {
    await exclusive(() => {
      const { config: next, step } = session.rollback(factor);
      config = next;
      currentStep = step;
      stepsPerCall = 1;
      lastEpoch = null;
      post({ type: 'rolledBack', config, step, message: `Rolled back to step ${step}; press Play to go on with the lower learning rates.` });
    });
    await refreshViews(true);
  },
  async save() {
    const shot = await snapshot(0);
    if (!shot) throw new Error('There is no run to save yet: the model is waiting for its data.');
    const { model, step, bytes } = shot;
    post({ type: 'checkpoint', name: `${model}-step${step}.llck`, bytes: bytes.buffer }, [bytes.buffer]);
  },
  // Keeps the run in this browser (see main.js for when the page asks).
  async autosave() {
    try {
      const shot = await snapshot(1);
      if (!shot) return;
      const { model, step, bytes, tookMs } = shot;
      await saveRun(model, step, bytes);
      post({ type: 'autosaved', model, step, savedAt: Date.now(), tookMs });
    } catch (e) {
      if (trapped(e)) throw e;
      post({ type: 'autosaved', error: `The run could not be kept in this browser: ${e?.message ?? e}` });
    }
  },
  async resume({ model }) {
    try {
      const run = await loadRun(model, modelNames());
      if (!run) throw new Error(`No saved ${model} run is kept in this browser any more.`);
      await handlers.loadCheckpoint({ name: `the saved ${model} run`, bytes: run.bytes });
    } catch (e) {
      // The page hid the list to resume; what is kept is offered again (to discard, say).
      await offerSavedRuns();
      throw e;
    }
  },
  // A run to compare with, pinned as a ghost (see ghosts.js): a kept run (`model`) or a
  // checkpoint file (`name`, `bytes`), read and not loaded, so that the run being trained goes on.
  async pin({ model, name, bytes }) {
    let label = name;
    let file = bytes;
    if (model !== undefined) {
      const run = await loadRun(model, modelNames());
      if (!run) throw new Error(`No saved ${model} run is kept in this browser any more.`);
      label = `the saved ${model} run`;
      file = run.bytes;
    }
    let read;
    try {
      read = checkpointRun(new Uint8Array(file));
    } catch (e) {
      if (!trapped(e)) e.message = `${label}: ${e.message}`;
      throw e;
    }
    // Its settings are what it is: a history the charts cannot take is left out, and said so.
    let curvesLost = null;
    try {
      RunHistory.messages(read.history, read.config.family);
    } catch (e) {
      curvesLost = e.message;
    }
    post({ type: 'ghost', name: label, config: read.config, step: read.step, history: curvesLost ? '' : read.history, curvesLost });
  },
  async discard({ model }) {
    await deleteRun(model);
    await offerSavedRuns();
  },
  async loadCheckpoint({ name, bytes }) {
    await fetchDataOf(name, new Uint8Array(bytes));
    const { step, model, curvesLost, optimizerNote } = await exclusive(() => {
      let loaded;
      try {
        loaded = session.loadCheckpoint(new Uint8Array(bytes));
      } catch (e) {
        if (!trapped(e)) e.message = `${name}: ${e.message}`;
        throw e;
      }
      ready = true;
      restart(loaded.step); // training counts on from the checkpoint's step
      // The weights are what matter: a history the charts cannot take is left out, and said so.
      let curvesLost = null;
      try {
        RunHistory.messages(loaded.history, config.family);
        if (loaded.history) post({ type: 'history', text: loaded.history });
      } catch (e) {
        curvesLost = e.message;
      }
      return { step: loaded.step, model: loaded.config.model, curvesLost, optimizerNote: loaded.optimizerNote };
    });
    await refreshViews(true);
    const fresh = optimizerNote ? ` ${optimizerNote}` : '';
    const curves = curvesLost ? ` Its charts could not be restored (the saved history is damaged: ${curvesLost}).` : '';
    post({ type: 'notice', message: `Loaded ${name}: ${model} after ${step} steps of training.${fresh}${curves}` });
  },
  async configure({ config: change }) {
    await settle(await exclusive(() => configured(session.configure(change))));
  },
  // A built-in dataset picked in the menu: the models of its size train on it from now on.
  async dataset({ name }) {
    const d = builtin(name);
    if (d) picked[d.slot] = name;
    await loadBuiltin(name);
  },
  // Your own files, dropped on the page or chosen with its buttons: the models of the current
  // model's size train on them from now on; the current run starts over on them.
  async loadOwn({ name, files }) {
    await loadOwn(name, files);
  },
  // Your data kept in this browser, picked in the menu.
  async keptData({ hash }) {
    await loadKept(String(hash), config.slot);
  },
  // A new size allowed for your files: older data goes, and your files last given are kept
  // if they fit now.
  async keepLimit({ bytes }) {
    await keeper.setLimit(bytes);
  },
  async trainJudge() {
    await trainJudge();
  },
  // The latent card changed what it shows: redraw what depends on it now, not at the next tick.
  async view({ latentMode, manifold, extent }) {
    const next = { latentMode: latentMode === 'mean' ? 'mean' : 'z', manifold: Boolean(manifold), extent: extent ?? null };
    // Only what depends on the change is redone at once (the extent changes with every
    // scatter while the manifold is on; redoing everything then would defeat MAX_VIEW_SHARE).
    if (next.latentMode !== view.latentMode) views.find((v) => v.name === 'scatter').last = -Infinity;
    if (next.manifold && !view.manifold) views.find((v) => v.name === 'manifold').last = -Infinity;
    Object.assign(view, next);
    if (!running) await refreshViews();
  },
  // Decodes the straight path between the posterior means of two test images of the scatter.
  async interpolate({ from, to }) {
    const { points: means } = await exclusive(() => session.latents(true));
    const count = means.length / 2;
    if (![from, to].every((i) => Number.isInteger(i) && i >= 0 && i < count)) {
      throw new Error(`cannot interpolate between points ${from} and ${to}: pick two of the ${count} points in the scatter`);
    }
    const path = new Float32Array(2 * INTERPOLATION_FRAMES);
    for (let k = 0; k < INTERPOLATION_FRAMES; k++) {
      const t = k / (INTERPOLATION_FRAMES - 1);
      for (let d = 0; d < 2; d++) path[2 * k + d] = (1 - t) * means[2 * from + d] + t * means[2 * to + d];
    }
    const rgba = await exclusive(() => session.decodePoints(path));
    const side = config.imageSide;
    post({
      type: 'interpolation', from, to, frames: INTERPOLATION_FRAMES, points: path, width: side, height: side, rgba,
    }, [rgba.buffer]);
  },
  // Places a drawing of the pad in the latent plane; always answered (null when there is no
  // autoencoder to encode it, or the call failed), so that the page sends its next drawing.
  async encode({ pixels }) {
    if (!ready || config.family !== 'latent') {
      post({ type: 'encoded', step: currentStep, encoding: null });
      return;
    }
    let encoding;
    try {
      encoding = await exclusive(() => session.encode(pixels));
    } catch (e) {
      post({ type: 'encoded', step: currentStep, encoding: null });
      throw e;
    }
    post({ type: 'encoded', step: currentStep, encoding }, [encoding.recon.buffer, encoding.nearest.rgba.buffer]);
  },
  async decode({ x, y }) {
    // The page asks again once the model is ready; a point of a plane means nothing to the
    // MNIST DCGAN (a request sent just before the switch to it may still arrive).
    if (!ready || !config.plane) return;
    const rgba = await exclusive(() => session.decode(x, y));
    const side = config.imageSide;
    post({ type: 'decoded', x, y, width: side, height: side, rgba }, [rgba.buffer]);
  },
};

addEventListener('message', async (e) => {
  const handler = handlers[e.data?.type];
  if (!handler) return;
  if (e.data.type !== 'init' && !session) return; // controls are disabled until ready
  try {
    await handler(e.data);
  } catch (err) {
    reportError(err);
  }
});
