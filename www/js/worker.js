// The training worker: owns the wasm instance and its one Session, so that the CPU backend's
// synchronous compute never blocks the page. It trains in time-boxed chunks and yields
// between them, so pause, step, drag and control messages are answered at once.
// The messages both ways: protocol.js. What models there are and what they can show comes
// from the Session's catalog and config; the worker names none of them.
import { RunHistory } from './history.js';
import { FROM_WORKER, checked } from './protocol.js';
import { deleteRun, listRuns, loadRun, saveRun } from './store.js';

const DATA_DIR = new URL('../../data/mnist/', import.meta.url);
// The frozen MNIST classifier that set-up trains to judge the MNIST DCGAN (burn record, ~0.5 MB).
const JUDGE_URL = new URL('../../data/mnist-judge.bpk', import.meta.url);
// Train images, train labels, test images, test labels, gzipped by set-up (the Session
// inflates them), with their sizes for progress until the server says otherwise.
const FILES = [
  ['train-images-idx3-ubyte.gz', 9719438],
  ['train-labels-idx1-ubyte.gz', 28857],
  ['t10k-images-idx3-ubyte.gz', 1616508],
  ['t10k-labels-idx1-ubyte.gz', 4517],
];
const CHUNK_MS = 30; // aim of one train() call: short enough to stay responsive
const MAX_STEPS_PER_CALL = 64; // bounds how stale the loss read-back can get on a fast GPU
const EVAL_EVERY_MS = 2000;
const SCATTER_EVERY_MS = 1000;
const RECON_EVERY_MS = 2500;
const MANIFOLD_EVERY_MS = 3000;
const MANIFOLD_SIDE = 20; // images per side of the decoded manifold
const INTERPOLATION_FRAMES = 24;
const SAMPLES_EVERY_MS = 2000;
const METERS_EVERY_MS = 5000;

let Session = null; // the class of the build start() loaded
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

// Fetches `files` ([name, expected size] under `dir`) one after the other, reporting
// progress as `loading` messages about `what`; `hint` says how to get a missing file.
async function fetchFiles(what, dir, files, hint) {
  const totals = files.map(([, size]) => size);
  const loaded = files.map(() => 0);
  const progress = (i) => post({
    type: 'loading', what, file: files[i][0], loaded: loaded[i], total: totals[i],
    overall: loaded.reduce((a, b) => a + b, 0) / totals.reduce((a, b) => a + b, 0),
  });
  const buffers = [];
  for (let i = 0; i < files.length; i++) {
    const response = await request(new URL(files[i][0], dir), hint);
    totals[i] = Number(response.headers.get('Content-Length')) || totals[i];
    const parts = [];
    const reader = response.body.getReader();
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
// The datasets the worker loads: MNIST, fetched at start, and the polynomial images, made on
// demand (the names are the catalog's `dataset`s).
const MNIST = 'mnist';
const POLYDATA_SET = 'poly';

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
  if (!loaded) await ensureData(next.dataset);
  else if (reset) await refreshViews(true);
}

// The wasm instance's exports: its linear memory's size goes out with the metrics (the soak
// script watches it).
let wasm = null;

// The page's two builds of the crate: pkg/ trains on the CPU; pkg-gpu/ adds burn's WebGPU
// backend (wgpu and cubecl), which more than doubles the download, and is fetched only when
// it will be used: asked for (?backend=webgpu), or chosen automatically because a hardware
// adapter is there (the rule backend::select applies: a software adapter trains far slower
// than the CPU). Its Session falls back to the CPU by itself when the GPU fails.
async function wantsWebGpu(backend) {
  if (backend === 'webgpu') return true;
  if (backend !== 'auto') return false;
  try {
    const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
    return Boolean(adapter) && !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter);
  } catch {
    return false;
  }
}

async function start(backend, link) {
  const build = (await wantsWebGpu(backend)) ? 'pkg-gpu' : 'pkg';
  let init;
  let describe;
  ({ default: init, Session, catalog: describe } = await import(`../../${build}/latent_lab.js`));
  wasm = await init();
  catalog = describe();
  post({ type: 'catalog', catalog });
  try {
    session = await Session.create(backend);
  } catch (e) {
    reportError(e); // an unknown ?backend= value: say so, and carry on with the automatic choice
    session = await Session.create('auto');
  }
  gpuRun = session.backend().kind === 'webgpu';
  post({ type: 'backend', backend: session.backend() });
  // The link is applied before any data arrives, so that the page never shows, nor writes
  // into the address bar, a set-up other than the link's. Its refusals are shown once the
  // page is.
  let refusals = [];
  try {
    if (link.length) ({ refusals } = session.configureLink(link));
  } catch (e) {
    refusals = [e];
  }
  const files = await fetchFiles('MNIST', DATA_DIR, FILES, SETUP_HINT);
  const data = session.loadMnist(...files);
  // Ready to train when the link's model trains on MNIST; another waits for its data.
  ready = data.restarted;
  config = session.config();
  post({ type: 'ready', backend: session.backend(), data: { ...data, dataset: MNIST }, config, evalCount: catalog.evalSubset });
  for (const refusal of refusals) reportError(refusal);
  if (data.notice) post({ type: 'notice', message: data.notice });
  await settle({ ready, reset: true, config });
  await offerSavedRuns();
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

// The polynomial images are made by the Session (the same 20,000 as `latent-lab polydata`
// writes, from seed 1) the first time a model that trains on them is picked, rather than
// downloaded (128 MB). Loading them starts a new run only if the model still being shown
// trains on them: a model picked in the meantime keeps its run.
const BUILT_IN_POLY = 'made in this browser, seed 1';
const dataLoads = new Map();
async function ensureData(dataset) {
  if (dataset !== POLYDATA_SET) throw new Error(`The page has no source for the dataset '${dataset}'.`);
  if (!dataLoads.has(dataset)) dataLoads.set(dataset, loadData(dataset, BUILT_IN_POLY, () => session.generatePolydata()));
  try {
    await dataLoads.get(dataset);
  } catch (e) {
    dataLoads.delete(dataset); // a later pick tries again
    throw e;
  }
}

// Hands a dataset to the Session (`load` is the Session call) and, when that started the
// current model's run over, the page starts its views over too.
async function loadData(dataset, name, load) {
  const info = await exclusive(() => {
    const loaded = load();
    post({ type: 'data', dataset, name, count: loaded.count });
    if (loaded.restarted) {
      ready = true;
      restart();
    }
    return loaded;
  });
  if (info.restarted) await refreshViews(true);
  return info;
}

// The judge is fetched the first time the MNIST DCGAN starts; its meters wait for it.
let judgeLoad = null;
let judgeLoaded = false;
function ensureJudge() {
  judgeLoad ??= (async () => {
    // Half a megabyte: no progress bar.
    const bytes = new Uint8Array(await (await request(JUDGE_URL, SETUP_HINT)).arrayBuffer());
    await exclusive(() => session.loadJudge(bytes));
    judgeLoaded = true;
  })().catch((e) => {
    judgeLoad = null; // the next start of the model tries again
    reportError(e);
  });
}

async function trainChunk(maxSteps) {
  const t0 = performance.now();
  const steps = Math.min(stepsPerCall, maxSteps);
  const r = await session.train(steps);
  const dt = performance.now() - t0;
  currentStep = r.step;
  // Size the next call to last about CHUNK_MS.
  stepsPerCall = Math.max(1, Math.min(MAX_STEPS_PER_CALL, Math.round((CHUNK_MS * steps) / Math.max(dt, 1e-3))));
  // The speed is of training that runs by itself: a step taken by hand while paused says
  // nothing about it.
  if (looping) {
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
    name: 'samples',
    every: SAMPLES_EVERY_MS,
    wanted: () => config.family === 'gan',
    async run() {
      const n = config.gridSide;
      const grid = await session.samples(n);
      post({ type: 'samples', step: currentStep, count: n * n, ...grid }, [grid.rgba.buffer]);
    },
  },
  {
    name: 'meters',
    every: METERS_EVERY_MS,
    wanted: () => config.family === 'gan' && (!config.judged || judgeLoaded),
    async run() {
      post({ type: 'meters', step: currentStep, ...(await session.meters()) });
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

// The GPU failed: the run goes on on the CPU from its last good state and the page says so.
// Both a failed step and the device's `lost` promise (see watchGpuDevices) call this; the
// first moves the run, the second finds it on the CPU already.
async function fallBack(why) {
  const moved = await exclusive(() => {
    if (!gpuRun) return null;
    const { step } = session.fallBackToCpu(`the GPU failed (${why})`);
    gpuRun = false;
    currentStep = step;
    stepsPerCall = 1;
    lastEpoch = null;
    post({ type: 'backend', backend: session.backend() });
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
  restartRate();
  for (const v of views) v.last = -Infinity;
  config = session.config();
  if (config.judged) ensureJudge();
  post({ type: 'reset' });
  post({ type: 'ready', backend: session.backend(), data: null, config, evalCount: catalog.evalSubset, step });
}

const handlers = {
  async init({ backend, link }) {
    try {
      await start(backend ?? 'auto', link ?? []);
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
      const dataset = catalog.models.find((m) => m.name === model)?.dataset;
      if (dataset && dataset !== MNIST) await ensureData(dataset); // the model needs its data to load
      await handlers.loadCheckpoint({ name: `the saved ${model} run`, bytes: run.bytes });
    } catch (e) {
      // The page hid the list to resume; what is kept is offered again (to discard, say).
      await offerSavedRuns();
      throw e;
    }
  },
  async discard({ model }) {
    await deleteRun(model);
    await offerSavedRuns();
  },
  async loadCheckpoint({ name, bytes }) {
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
  // A .npy file the user dropped on the page: the models that train on 40x40 images train on
  // it from now on; the current run starts over only if it is one of them.
  async loadNpy({ name, bytes }) {
    const info = await loadData(POLYDATA_SET, name, () => session.loadPolydata(name, new Uint8Array(bytes)));
    dataLoads.set(POLYDATA_SET, Promise.resolve(info)); // the user's file replaces the built-in set
    // A set smaller than the batch lowered the batch size; the notice says so.
    const also = info.notice ? ` ${info.notice}` : '';
    if (info.restarted) post({ type: 'notice', message: `${name} is the training data now: the run starts over on it.${also}` });
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
  // Decodes the straight path between the posterior means of two test digits of the scatter.
  async interpolate({ from, to }) {
    const { points: means } = await exclusive(() => session.latents(true));
    const count = means.length / 2;
    if (![from, to].every((i) => Number.isInteger(i) && i >= 0 && i < count)) {
      throw new Error(`cannot interpolate between digits ${from} and ${to}: pick two of the ${count} digits in the scatter`);
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
