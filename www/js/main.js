// Latent Lab page controller: talks to the training worker and routes what it reports to the views.
// Messages are absorbed as they arrive; drawing happens at most once per animation frame.

import { Controls } from './controls.js';
import { TrainingCurves } from './curves.js';
import { DatasetMenu, droppedFiles, readFiles } from './datasets.js';
import { ModelDiagram } from './diagram.js';
import { GanCurves, SampleTimeline, showMeters } from './gan.js';
import { Ghosts, chartsOf, replay } from './ghosts.js';
import { initHelp, showAbout } from './help.js';
import { drawImageRows, drawMessage, drawPixels } from './images.js';
import { InterpolationPlayer } from './interpolation.js';
import { RunHistory } from './history.js';
import { LatentView } from './latent.js';
import { foldOnNarrowScreens } from './phone.js';
import { DrawToEncode } from './pad.js';
import { FROM_WORKER, TO_WORKER, checked } from './protocol.js';
import { ErrorBanner, StatusLine } from './status.js';
import { $, integer } from './util.js';

const MODE_NAMES = { z: 'sampled z', mean: 'mean z' };

// The training worker; a new one replaces it if it crashes (see `workerCrashed`).
let worker = null;
// A crashed worker takes nothing more (the latent card, say, can still ask for a decode).
const send = (message, transfer = []) => worker?.postMessage(checked(message, TO_WORKER), transfer);

initHelp();
const status = new StatusLine();
foldOnNarrowScreens($('more-settings'));
const banner = new ErrorBanner($('error'));
const curves = new TrainingCurves({
  lossCanvas: $('loss-chart'),
  lossReadout: $('loss-readout'),
  logToggle: $('loss-log'),
  partsCard: $('parts-card'),
  partsCanvas: $('parts-chart'),
  partsReadout: $('parts-readout'),
  partsLogToggle: $('parts-log'),
  accCard: $('acc-card'),
  accCanvas: $('acc-chart'),
  accReadout: $('acc-readout'),
  epochTable: $('epoch-results'),
});
const ganCurves = new GanCurves($('gan-chart'), $('gan-readout'));
// Runs pinned to compare with, drawn dashed on the charts (see ghosts.js).
const ghosts = new Ghosts({
  list: $('ghost-list'),
  note: $('ghost-note'),
  pin: $('pin-run'),
  onChange() {
    curvesDirty = true;
    invalidate();
  },
});
$('pin-run').addEventListener('click', () => ghosts.pinCurrent(chartsOf(curves, ganCurves), Number(document.body.dataset.step)));
$('pin-file').addEventListener('change', (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  file?.arrayBuffer().then(
    (bytes) => send({ type: 'pin', name: file.name, bytes }, [bytes]),
    (err) => banner.show(`${file.name} could not be read: ${err.message}`),
  );
});
const timeline = new SampleTimeline({
  canvas: $('samples'), realCanvas: $('samples-real'), slider: $('timeline'), caption: $('samples-caption'), onShow: showSnapshotMeters,
});
const meterElements = {
  list: $('meters'),
  smoothness: $('meter-smoothness'),
  realSmoothness: $('meter-real-smoothness'),
  diversity: $('meter-diversity'),
  degreeDistance: $('meter-degree-distance'),
  degrees: $('meter-degrees'),
  realDegrees: $('meter-real-degrees'),
  digitList: $('digit-meters'),
  confidence: $('meter-confidence'),
  realConfidence: $('meter-real-confidence'),
  covered: $('meter-covered'),
  realCovered: $('meter-real-covered'),
  frechet: $('meter-frechet'),
  realFrechet: $('meter-real-frechet'),
  histogram: $('meter-histogram'),
  classes: $('meter-classes'),
  note: $('meters-note'),
};
const controls = new Controls({
  onConfigure(change) {
    if ('model' in change) autosave(); // the old model's run, before the switch replaces it
    send({ type: 'configure', config: change });
  },
  onCommand(type) {
    // The worker takes messages in order: the run is kept before a reset throws it away, and
    // after a pause, at the step where training stopped.
    if (type === 'reset') autosave();
    send({ type });
    if (type === 'pause') autosave();
  },
  onEdit: (field) => banner.clear(field),
});
const latent = new LatentView($('latent'), {
  coords: $('latent-coords'),
  legend: $('digit-legend'),
  pickHint: $('interp-hint'),
  hint: $('latent-hint'),
  pickButton: $('interp-pick'),
  onMove(x, y) {
    player.stop();
    decode(x, y);
  },
  onExtent: sendView,
  onInterpolate: (from, to) => send({ type: 'interpolate', from, to }),
});
const player = new InterpolationPlayer({ strip: $('interp-strip'), latent, show: showDecoded });
const diagram = new ModelDiagram($('diagram'), { caption: $('diagram-caption') });
diagram.follow($('latent'), () => latent.drag !== null);
const draw = new DrawToEncode({
  pad: $('draw-pad'),
  clear: $('draw-clear'),
  input: $('draw-input'),
  recon: $('draw-recon'),
  nearest: $('draw-nearest'),
  nearestCaption: $('draw-nearest-caption'),
  caption: $('draw-caption'),
  latent,
  send,
});
const modeSwitch = $('latent-mode');
const manifoldToggle = $('manifold');

// What the worker said of the models, and the current model's settings as last reported.
let catalog = null;
let config = null;

function latentMode() {
  return config?.variational ? modeSwitch.querySelector('input:checked').value : 'z';
}

// What the worker was last told about the latent card; it starts with sampled codes and no
// manifold. It needs the extent only to decode the manifold, so while that is off, the
// axes refitting to each new scatter is no news to it.
const VIEW_AT_START = JSON.stringify({ latentMode: 'z', manifold: false });
let viewSent = VIEW_AT_START;

function sendView() {
  if (document.body.dataset.state !== 'ready') return; // the worker has no model to show yet
  const view = { latentMode: latentMode(), manifold: manifoldToggle.checked };
  const extent = { ...latent.extent };
  const key = JSON.stringify(view.manifold ? { ...view, extent } : view);
  if (key === viewSent) return;
  viewSent = key;
  send({ type: 'view', ...view, extent });
}

modeSwitch.addEventListener('change', sendView);
manifoldToggle.addEventListener('change', () => {
  if (!manifoldToggle.checked) latent.setManifold(null);
  sendView();
});

// Decodes go out one at a time. While one is in flight only the newest requested point
// is kept, so a fast drag never builds a queue the worker would have to work through.
let decodeInFlight = false;
let decodeNext = null;

function decode(x, y) {
  if (decodeInFlight) {
    decodeNext = { x, y };
    return;
  }
  decodeInFlight = true;
  send({ type: 'decode', x, y });
}

function decodeFinished() {
  decodeInFlight = false;
  const next = decodeNext;
  decodeNext = null;
  if (next) decode(next.x, next.y);
}

function decodeMarker() {
  if (config && !config.plane) return; // the MNIST DCGAN's noise has 100 dimensions, not a plane
  const { x, y } = latent.marker();
  decode(x, y);
}

// Latest message per kind that only needs its newest instance drawn; taken by render().
let latest = {};
let reconShown = null;
let curvesDirty = true;
let reconDirty = true;
let frame = 0;

function invalidate() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  const { loading, metrics, scatter, manifold, interpolation, recon } = latest;
  latest = {};
  if (loading) status.loading(loading);
  if (metrics) status.metrics(metrics);
  if (scatter) showScatter(scatter);
  // One sent just before the manifold was turned off may still arrive.
  if (manifold && manifoldToggle.checked) latent.setManifold(manifold);
  if (interpolation) player.play(interpolation);
  if (recon) {
    reconShown = recon;
    reconDirty = true;
  }
  if (reconDirty) {
    reconDirty = false;
    showRecon();
  }
  if (curvesDirty) {
    curvesDirty = false;
    ghosts.apply(chartsOf(curves, ganCurves));
    if (config?.family === 'gan') ganCurves.draw();
    else curves.draw();
  }
}

function showScatter({ step, mode, points, labels }) {
  latent.setPoints(points, labels);
  // Until the user moves the marker, it follows the centre of each new scatter.
  if (!latent.movedByUser) {
    const { x, y } = latent.centroid();
    latent.setMarker(x, y);
  }
  // The model has moved on since the last decode; keep the decoded image in step with it.
  if (!player.playing) decodeMarker();
  draw.refresh();
  const codes = config?.variational ? `, ${MODE_NAMES[mode]},` : '';
  $('latent-caption').textContent = `${integer(latent.count())} test images${codes} at step ${integer(step)}`;
}

/** The meters measured with the snapshot under the grid, at its step; none before a judge. */
function showSnapshotMeters({ step, meters }) {
  if (meters) showMeters({ ...meters, step }, meterElements, datasets.current()?.classes);
  else hideMeters();
}

function hideMeters() {
  meterElements.list.hidden = true;
  meterElements.digitList.hidden = true;
  meterElements.note.textContent = '';
}

function showDecoded({ x, y, width, height, rgba }) {
  drawPixels($('decoded'), rgba, width, height);
  const from = config?.family === 'gan' ? 'generated from noise' : 'decoded from z';
  $('decoded-caption').textContent = `${from} = (${x.toFixed(2)}, ${y.toFixed(2)})`;
  diagram.setPoint(x, y);
}

function showRecon() {
  const canvas = $('recon');
  if (!reconShown) {
    drawMessage(canvas, 'Test images and their reconstructions appear after the first evaluation.', 120);
    $('recon-caption').textContent = '';
    return;
  }
  const { step, count, width, height, originals, recons } = reconShown;
  drawImageRows(canvas, {
    count,
    width,
    height,
    rows: [
      { label: 'Original', pixels: originals },
      { label: 'Reconstruction', pixels: recons },
    ],
  });
  $('recon-caption').textContent = `${integer(count)} test images at step ${integer(step)}`;
}

// The GANs' noise is N(0, 1): the plane is shown over +-3 standard deviations.
const NOISE_EXTENT = { x0: -3, x1: 3, y0: -3, y1: 3 };

// The run's set-up lives in the URL, so that a link reproduces it: the Session writes the
// link's keys (`config.link`) and reads them back (`init`'s `link`). ?backend= stays as the
// user gave it.
function writeUrl({ link }) {
  const params = new URLSearchParams(location.search);
  for (const key of catalog.linkKeys) params.delete(key);
  for (const [key, value] of link) params.set(key, value);
  history.replaceState(null, '', `${location.pathname}?${params}${location.hash}`);
}

function showConfig(next) {
  // A refusal stays until its field is edited or another model is picked: the worker sends a
  // config again when data arrives, which says nothing about the refused value.
  if (config?.model !== next.model) banner.clearFields();
  config = next;
  writeUrl(config);
  controls.setConfig(config);
  ghosts.setConfig(config);
  diagram.show(config.diagram, config.label, config.plane);
  showAbout(catalog.models.find((m) => m.name === config.model));
  const gan = config.family === 'gan';
  document.body.dataset.family = config.family;
  document.body.dataset.plane = String(config.plane);
  document.body.dataset.model = config.model;
  $('latent-title').textContent = gan ? 'Noise plane' : 'Latent space';
  $('manifold-label').textContent = gan ? 'generated manifold' : 'decoded manifold';
  document.body.dataset.slot = config.slot;
  datasets.setSlot(config.slot);
  showDataset();
}

// The data the current model trains on, in the header and in the legend of the scatter.
function showDataset() {
  const data = datasets.current();
  $('dataset').textContent = data
    ? `${data.label}: ${integer(data.train)} train${data.test ? ` · ${integer(data.test)} test` : ''}`
    : 'loading…';
  if (data?.slot === 'side28') latent.setClasses(data.classes);
  showJudge();
}

// The judge of your own data, which the MNIST DCGAN's meters need (the built-in datasets come
// with theirs): trained here on request, beside the run. The worker's last word on each, by
// its data's hash.
const judges = new Map();
function showJudge() {
  const data = datasets.current();
  const own = Boolean(config?.judged && data && !data.id.builtin);
  $('judge-offer').hidden = !own;
  if (!own) return;
  const judge = judges.get(data.id.hash);
  const labelled = data.classes.length > 0;
  const training = judge?.state === 'training';
  $('train-judge').hidden = !labelled || judge?.state === 'ready';
  $('train-judge').disabled = training;
  $('train-judge').textContent = training ? 'Training a judge…' : `Train a judge for ${data.label}`;
  $('judge-progress').hidden = !training;
  if (training) $('judge-progress').value = judge.steps ? judge.step / judge.steps : 0;
  let status;
  if (!labelled) {
    status = `No meters: ${data.label} has no labels, and the meters' classifier learns from labels (one sub-folder per class).`;
  } else if (!judge || judge.state === 'failed') {
    status = `No meters yet: there is no judge for ${data.label}. One can learn its ${integer(data.train)} training images here, beside the run.`;
  } else if (training) {
    status = `step ${integer(judge.step)} of ${integer(judge.steps)}`;
  } else {
    status = judge.accuracy === null
      ? `The judge of ${data.label} came from this browser's storage.`
      : `The judge of ${data.label} classifies ${(100 * judge.accuracy).toFixed(1)} % of its test images right.`;
  }
  $('judge-status').textContent = status;
}
$('train-judge').addEventListener('click', () => send({ type: 'trainJudge' }));

// Your own files for the current model: the worker reads them and says what they became.
function sendOwn(name, files) {
  readFiles(files).then(
    (list) => send({ type: 'loadOwn', name, files: list }, list.map((f) => f.bytes)),
    (e) => banner.show(`${name} could not be read: ${e.message}`),
  );
}

const datasets = new DatasetMenu({
  select: $('dataset-select'),
  files: $('own-files'),
  folder: $('own-folder'),
  onBuiltin(name) {
    autosave(); // the run on the old data, before new data starts a new one
    send({ type: 'dataset', name });
  },
  onOwn(name, files) {
    autosave();
    sendOwn(name, files);
  },
  onKept(hash) {
    autosave();
    send({ type: 'keptData', hash });
  },
});

// How much of your own files this browser keeps (see store.js), as you last chose.
const KEEP_KEY = 'latent-lab.keep-mb';
const keepInput = $('keep-mb');
{
  const stored = Number(localStorage.getItem(KEEP_KEY));
  if (localStorage.getItem(KEEP_KEY) !== null && Number.isFinite(stored) && stored >= 0) keepInput.value = String(stored);
}
const keepBytes = () => {
  const value = Number(keepInput.value);
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 2 ** 20) : 0;
};
keepInput.addEventListener('change', () => {
  if (!(Number(keepInput.value) >= 0)) keepInput.value = '0';
  localStorage.setItem(KEEP_KEY, keepInput.value);
  send({ type: 'keepLimit', bytes: keepBytes() });
});

// What the automatic choice of backend measured, per model and adapter (the worker's
// `choice` messages), so that a later visit goes straight to the faster backend.
const CHOICES_KEY = 'latent-lab.backend-choices';
function rememberedChoices() {
  try {
    const choices = JSON.parse(localStorage.getItem(CHOICES_KEY) ?? '{}');
    return choices && typeof choices === 'object' && !Array.isArray(choices) ? choices : {};
  } catch {
    return {}; // a damaged entry costs only a new measurement
  }
}

/** What became of your own files, in words. */
function describeOwn(data) {
  const { own } = data;
  const parts = [`${data.label}: ${integer(own.images)} images (${integer(data.train)} to train on, ${integer(data.test)} to test)`];
  if (own.resizedFrom.length) parts.push(`resized from ${own.resizedFrom.map(([w, h]) => `${w}x${h}`).join(', ')} to ${own.side}x${own.side}`);
  if (own.skipped.length) parts.push(`${own.skipped.length} files skipped as unreadable (${own.skipped.slice(0, 3).join(', ')}${own.skipped.length > 3 ? ', …' : ''})`);
  if (own.ignored) parts.push(`${own.ignored} files ignored (not images, IDX or .npy)`);
  if (data.slot === 'side28') {
    parts.push(data.classes.length ? `classes ${data.classes.join(', ')}` : 'no labels were given (no sub-folder per class): the scatter draws every point in one colour');
  }
  return `${parts.join('; ')}.`;
}

/** A new model: everything measured on the old one goes. */
function startOver() {
  curves.clear();
  ganCurves.clear();
  timeline.clear();
  hideMeters();
  status.clearTraining();
  latent.setPoints(new Float32Array(0), new Uint8Array(0));
  latent.setManifold(null);
  player.clear();
  const gan = config?.family === 'gan';
  $('latent-caption').textContent = gan
    ? "drag through the generator's 2-D noise: each point is an image"
    : 'test images encoded by the model';
  if (gan) latent.showPlane(NOISE_EXTENT);
  latent.movedByUser = false;
  draw.reset();
  reconShown = null;
  latest = { loading: latest.loading };
  document.body.dataset.step = '0';
  curvesDirty = reconDirty = true;
  invalidate();
}

const handlers = {
  // What models there are and what can be set: the menus and the form are built from it.
  catalog({ catalog: described }) {
    catalog = described;
    datasets.setCatalog(catalog);
    ghosts.setCatalog(catalog);
    controls.build(catalog);
  },
  loading(message) {
    latest.loading = message;
    invalidate();
  },
  backend({ backend }) {
    status.showBackend(backend);
  },
  choice({ key, runKind, runMs, trialKind, trialMs }) {
    localStorage.setItem(CHOICES_KEY, JSON.stringify({ ...rememberedChoices(), [key]: { runKind, runMs, trialKind, trialMs } }));
  },
  ready(message) {
    document.body.dataset.state = 'ready';
    latest.loading = null;
    curves.setModel(message.config);
    ganCurves.setModel(message.config);
    modeSwitch.hidden = !message.config.variational;
    status.ready(message);
    const { data } = message; // what the model trains on
    if (data) datasets.setLoaded(data);
    showConfig(message.config);
    controls.setEnabled(true);
    $('dataset-select').disabled = false;
    startOver();
    showDataset();
    if (message.step) {
      document.body.dataset.step = String(message.step);
      status.showStep(message.step);
    }
    curves.setEvalScope(message.evalCount, data?.test || undefined);
    // A decode sent to the previous model may never be answered.
    decodeInFlight = false;
    decodeNext = null;
    decodeMarker();
    sendView();
  },
  // Sent when a configure was accepted without restarting the model.
  config({ config }) {
    showConfig(config);
  },
  state({ running }) {
    controls.setRunning(running);
  },
  metrics(message) {
    if (message.family === 'gan') ganCurves.add(message);
    else curves.addMetrics(message);
    latest.metrics = message;
    unkept = true;
    document.body.dataset.step = String(message.step);
    document.body.dataset.wasmMemory = String(message.wasmMemory);
    curvesDirty = true;
    invalidate();
  },
  eval(message) {
    curves.addEval(message);
    curvesDirty = true;
    invalidate();
  },
  scatter(message) {
    latest.scatter = message;
    invalidate();
  },
  encoded(message) {
    draw.show(message);
  },
  decoded(message) {
    // Drawn at once, not at the next animation frame: a drag's image is the one view whose
    // latency a user feels, and one small putImageData costs far less than a frame. An
    // interpolation playing owns the image until it ends.
    if (!player.playing) showDecoded(message);
    decodeFinished();
  },
  manifold(message) {
    latest.manifold = message;
    invalidate();
  },
  interpolation(message) {
    latest.interpolation = message;
    invalidate();
  },
  recon(message) {
    latest.recon = message;
    invalidate();
  },
  samples(message) {
    timeline.add(message);
    // The generator has moved on: the image at the noise plane's marker follows it, as the
    // autoencoders' decoded image follows each scatter.
    if (config?.plane && !player.playing) decodeMarker();
  },
  // The real training images beside the samples, as many and as large.
  real(message) {
    timeline.setReal(message, config.imageSide);
  },
  notice({ message }) {
    banner.hide(); // whatever went wrong before, this worked
    $('notice').textContent = message;
    $('notice').hidden = false;
  },
  // A loss went NaN or exploded; training has stopped. Offer to return to the last good state
  // with lower learning rates.
  diverged({ message, rollbackStep, config: at }) {
    const rates = at.family === 'gan' ? 'learning rates' : 'learning rate';
    $('diverged-message').textContent =
      `Training stopped: ${message}. The run can go back to step ${integer(rollbackStep)}, its last good state.`;
    $('rollback').textContent = `Roll back to step ${integer(rollbackStep)} with the ${rates} ÷ ${Math.round(1 / catalog.rollbackFactor)}`;
    $('diverged').hidden = false;
  },
  // Back at a good state: the charts drop what came after it.
  rolledBack({ config: next, step, message }) {
    $('diverged').hidden = true;
    showConfig(next);
    curves.truncate(step);
    ganCurves.truncate(step);
    document.body.dataset.step = String(step);
    status.showStep(step);
    curvesDirty = true;
    invalidate();
    handlers.notice({ message });
  },
  // The worker's checkpoint of the current model, to download.
  checkpoint({ name, bytes }) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  },
  // Runs kept in this browser: offered for resuming, newest first, damaged ones to discard.
  savedRuns({ runs }) {
    keptSteps.clear();
    for (const { model, step, damaged } of runs) if (!damaged) keptSteps.set(model, step);
    // A new worker after a crash goes on from the run kept for the model it replaced.
    if (resumeAfterCrash !== null && keptSteps.has(resumeAfterCrash)) {
      send({ type: 'resume', model: resumeAfterCrash });
      runs = runs.filter((run) => run.model !== resumeAfterCrash);
    }
    resumeAfterCrash = null;
    $('saved-runs').replaceChildren(...runs.map(savedRunItem));
    $('resume').hidden = runs.length === 0;
  },
  autosaved({ model, step, savedAt, tookMs, error }) {
    if (!error) keptSteps.set(model, step);
    if (tookMs !== undefined) keepCostMs = tookMs;
    $('autosave-status').textContent = error ?? `Kept in this browser at step ${integer(step)} (${new Date(savedAt).toLocaleTimeString()}).`;
    // A run that could not be kept must not go unnoticed behind folded settings.
    if (error) $('more-settings').open = true;
  },
  // The curves of a resumed run, as its checkpoint saved them (the worker checked them).
  history({ text }) {
    replay(RunHistory.messages(text, config.family), curves, ganCurves);
    curvesDirty = true;
    invalidate();
  },
  // A kept run or a checkpoint read to compare with (the worker checked its history).
  ghost(message) {
    let messages = [];
    let why = message.curvesLost;
    try {
      messages = RunHistory.messages(message.history, message.config.family);
    } catch (e) {
      why = e.message;
    }
    ghosts.pinSaved(message, messages, why);
  },
  data({ data }) {
    datasets.setLoaded(data);
    document.body.dataset.loaded = [...new Set([...(document.body.dataset.loaded ?? '').split(' '), data.id.name])].join(' ').trim();
    latest.loading = null;
    status.hideProgress();
    if (data.slot === config?.slot) showDataset();
    if (data.own) handlers.notice({ message: describeOwn(data) });
    if (data.id.builtin) $('data-preview').hidden = true;
  },
  datasets({ installed }) {
    datasets.setInstalled(installed);
  },
  keptData({ data, status }) {
    datasets.setKept(data);
    if (status) $('keep-status').textContent = status;
  },
  judge(message) {
    judges.set(message.hash, message);
    showJudge();
  },
  // The first images of your data as the model reads them.
  preview({ name, width, height, rgba }) {
    $('data-preview').hidden = false;
    drawPixels($('data-preview-grid'), rgba, width, height);
    $('data-preview-caption').textContent = `the first training images of ${name}, as the model reads them`;
  },
  reset() {
    startOver();
    decodeMarker();
  },
  error({ message, field, fatal }) {
    banner.show(message, field);
    // A failed download (e.g. the polynomial images) leaves no progress to report.
    latest.loading = null;
    status.hideProgress();
    if (field) controls.showFieldError(field, message);
    if (fatal) {
      document.body.dataset.state = 'error';
      controls.setEnabled(false);
      status.fail();
    }
    // The failed request may have been a decode; do not wait for an answer that will not come.
    decodeFinished();
  },
  crashed({ message }) {
    workerCrashed(message);
  },
};

// The step of the run kept in this browser for each model, as the worker last reported it:
// what a new worker can go on from after a crash.
const keptSteps = new Map();
// The model whose kept run a new worker resumes once it has listed the kept runs.
let resumeAfterCrash = null;

/** A new training worker, for the run in the URL; the page waits for it as at the start. */
function startWorker() {
  const own = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker = own;
  let started = false; // whether it got as far as describing the models
  own.addEventListener('message', ({ data }) => {
    if (own !== worker) return; // a crashed worker's last words
    const handler = handlers[checked(data, FROM_WORKER).type];
    if (data.type === 'catalog') started = true;
    if (handler) handler(data);
    else console.warn('Latent Lab: ignoring unknown message from the worker', data);
  });
  own.addEventListener('error', (event) => {
    event.preventDefault();
    if (own !== worker) return;
    // An error nothing in the worker caught, a trap in the wasm code above all, once it ran.
    if (started && event.message) return workerCrashed(event.message.replace(/^Uncaught /, ''));
    const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
    handlers.error({
      message: event.message
        ? `The training worker stopped: ${event.message}${where}. Reload the page to start again.`
        : 'The training worker (www/js/worker.js) could not be started. If you are running from a ' +
          'source checkout, build the WebAssembly package first (see README.md), then reload.',
      fatal: true,
    });
  });
  own.addEventListener('messageerror', () => {
    handlers.error({ message: 'A message from the training worker could not be read.', fatal: false });
  });
  document.body.dataset.state = 'loading';
  viewSent = VIEW_AT_START;
  decodeInFlight = false;
  decodeNext = null;
  pausedWhileHidden = false;
  // ?backend= picks the backend (&probe=force times even a software adapter against the CPU);
  // the Session reads the run's set-up from the rest of the link.
  const query = new URLSearchParams(location.search);
  send({
    type: 'init',
    backend: query.get('backend') ?? 'auto',
    link: [...query],
    keepBytes: keepBytes(),
    data: new URL('data/', document.baseURI).href,
    timeSoftware: query.get('probe') === 'force',
    choices: rememberedChoices(),
  });
}

/**
 * The worker can do nothing more (the browser ran out of memory for it, or its wasm code
 * failed): it goes, and the page offers a new one that goes on from the run kept in this
 * browser for the current model, or starts that model afresh. `what` is the browser's word
 * for the failure.
 */
function workerCrashed(what) {
  if (!worker) return; // said already (a trap can be both reported and thrown)
  worker.terminate();
  worker = null;
  document.body.dataset.state = 'crashed';
  controls.setRunning(false);
  controls.setEnabled(false);
  status.hideProgress();
  banner.hide();
  $('diverged').hidden = true;
  $('resume').hidden = true;
  const kept = keptSteps.get(config?.model);
  const goOn = kept === undefined
    ? 'Nothing of this run is kept in this browser, so a new worker starts the model afresh.'
    : `The run kept in this browser at step ${integer(kept)} can go on in a new worker.`;
  // A trap in wasm code that passes its tests is most often an allocation that failed.
  const memory = /RuntimeError|memory/i.test(what) ? ' The browser most likely ran out of memory for it.' : '';
  $('crashed-message').textContent = `Training stopped: the worker that trains the model crashed (${what}).${memory} ${goOn}`;
  $('restart').textContent = kept === undefined ? 'Start a new worker' : `Go on from step ${integer(kept)}`;
  $('crashed').hidden = false;
}

$('rollback').addEventListener('click', () => send({ type: 'rollback', factor: catalog.rollbackFactor }));
$('restart').addEventListener('click', () => {
  $('crashed').hidden = true;
  const model = config?.model ?? null;
  resumeAfterCrash = keptSteps.has(model) ? model : null;
  startWorker();
});

// A model's label; the key of a damaged saved run (which may be anything) quoted and cut short.
const modelName = (model) => catalog?.models.find((m) => m.name === model)?.label ?? JSON.stringify(String(model).slice(0, 40));

function ago(ms) {
  const minutes = Math.round((Date.now() - ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  return new Date(ms).toLocaleString();
}

function button(label, className, onClick) {
  const node = document.createElement('button');
  node.type = 'button';
  node.className = className;
  node.textContent = label;
  node.setAttribute('aria-describedby', 'resume-help'); // what Resume and Discard do
  node.addEventListener('click', onClick);
  return node;
}

/**
 * One saved run with its Resume and Discard buttons; a damaged one (see store.js) says why
 * and has Discard alone. `model` is the record's key as stored, which only a damaged record
 * can have as something other than a model's name: it is shown as text and sent back as it
 * came, never put into a selector.
 */
function savedRunItem({ model, step, savedAt, damaged }) {
  const item = document.createElement('li');
  item.dataset.model = String(model);
  const text = document.createElement('span');
  const discard = button('Discard', 'discard-run', () => send({ type: 'discard', model }));
  if (damaged) {
    item.classList.add('damaged');
    text.textContent = `${modelName(model)}: a damaged saved run (${damaged}), which cannot be resumed`;
    item.append(text, discard);
    return item;
  }
  text.textContent = `${modelName(model)}: step ${integer(step)}, saved ${ago(savedAt)}`;
  const resume = button('Resume', 'resume-run', () => {
    $('resume').hidden = true;
    send({ type: 'resume', model });
  });
  const pin = button('Pin as ghost', 'pin-kept', () => send({ type: 'pin', model }));
  pin.title = 'Draw its curves dashed on the charts, beside the run being trained, to compare';
  item.append(text, resume, pin, discard);
  return item;
}

// The run is kept in the browser a few seconds after it trains (played or stepped), on a
// pause, before a reset or a change of model, and whenever the tab is hidden, so that only a
// crash or leaving the page can lose more than those seconds. A reload or a closed tab ends
// the worker before a save started then can finish, so `pagehide` only helps where the page
// is frozen rather than ended (the back-forward cache). A save stops training while it
// serialises the run (some 30 ms for the autoencoder, 100 ms for the VAE in Chromium here),
// so saves are spaced to take at most 1 % of the time. With "pause while hidden" the page also
// pauses when hidden, and goes on when the tab is shown again.
const KEEP_AFTER_MS = 5_000;
let unkept = false; // steps trained since the last save was asked for
let keepCostMs = 0;
let lastKeep = -Infinity;
function autosave() {
  if (document.body.dataset.state !== 'ready') return;
  unkept = false;
  lastKeep = performance.now();
  send({ type: 'autosave' });
}
setInterval(() => {
  if (unkept && performance.now() - lastKeep >= Math.max(KEEP_AFTER_MS, 100 * keepCostMs)) autosave();
}, 1000);
addEventListener('pagehide', autosave);
let pausedWhileHidden = false;
document.addEventListener('visibilitychange', () => {
  if (document.body.dataset.state !== 'ready') return;
  if (document.visibilityState === 'hidden') {
    autosave();
    if ($('pause-hidden').checked && controls.running) {
      pausedWhileHidden = true;
      send({ type: 'pause' });
    }
  } else if (pausedWhileHidden) {
    pausedWhileHidden = false;
    send({ type: 'play' });
  }
});
$('diverged').querySelector('.error-dismiss').addEventListener('click', () => {
  $('diverged').hidden = true;
});

const resizes = new ResizeObserver(() => {
  curvesDirty = reconDirty = true;
  invalidate();
});
for (const id of ['loss-chart', 'parts-chart', 'acc-chart', 'recon', 'gan-chart']) resizes.observe($(id));

// A checkpoint (.llck, saved by this page or written by `latent-lab train`) replaces the
// model, its settings and its weights; the worker refuses a bad one and keeps the run.
function sendCheckpoint(file) {
  file.arrayBuffer().then(
    (bytes) => send({ type: 'loadCheckpoint', name: file.name, bytes }, [bytes]),
    (e) => banner.show(`${file.name} could not be read: ${e.message}`),
  );
}
$('checkpoint-file').addEventListener('change', (e) => {
  if (e.target.files[0]) sendCheckpoint(e.target.files[0]);
  e.target.value = '';
});
// A dropped .llck is a checkpoint to load; anything else (images, folders, zips, IDX, .npy)
// is data of your own to train on.
async function sendDrop(dataTransfer) {
  const single = dataTransfer?.files.length === 1 ? dataTransfer.files[0] : null;
  if (single && /\.llck$/i.test(single.name)) {
    sendCheckpoint(single);
    return;
  }
  const { name, files } = await droppedFiles(dataTransfer);
  datasets.onOwn(name, files);
}
let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types.includes('Files')) return;
  dragDepth++;
  document.body.classList.add('dropping');
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) document.body.classList.remove('dropping');
});
document.addEventListener('dragover', (e) => e.preventDefault()); // allows the drop
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  document.body.classList.remove('dropping');
  if (document.body.dataset.state !== 'ready' || !e.dataTransfer) return;
  sendDrop(e.dataTransfer).catch((err) => banner.show(`The dropped files could not be read: ${err.message}`));
});

document.body.dataset.step = '0';
invalidate();
startWorker();
