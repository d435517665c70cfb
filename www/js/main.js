// Latent Lab page controller: talks to the training worker and routes what it reports to the views.
// Messages are absorbed as they arrive; drawing happens at most once per animation frame.

import { Controls } from './controls.js';
import { TrainingCurves } from './curves.js';
import { drawImageRows, drawMessage, drawPixels } from './images.js';
import { InterpolationPlayer } from './interpolation.js';
import { LatentView } from './latent.js';
import { modelTraits } from './models.js';
import { ErrorBanner, StatusLine } from './status.js';
import { $, integer } from './util.js';

const MODE_NAMES = { z: 'sampled z', mean: 'mean z' };

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const send = (message) => worker.postMessage(message);

const status = new StatusLine();
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
const controls = new Controls({
  onConfigure: (config) => send({ type: 'configure', config }),
  onCommand: (type) => send({ type }),
  onEdit: (field) => banner.clear(field),
});
const latent = new LatentView($('latent'), {
  coords: $('latent-coords'),
  legend: $('digit-legend'),
  pickHint: $('interp-hint'),
  onMove(x, y) {
    player.stop();
    decode(x, y);
  },
  onExtent: sendView,
  onInterpolate: (from, to) => send({ type: 'interpolate', from, to }),
});
const player = new InterpolationPlayer({ strip: $('interp-strip'), latent, show: showDecoded });
const modeSwitch = $('latent-mode');
const manifoldToggle = $('manifold');

// The model the worker runs, as its last `ready` said.
let traits = modelTraits('ae');

function latentMode() {
  return traits.variational ? modeSwitch.querySelector('input:checked').value : 'z';
}

// What the worker was last told about the latent card; it starts with sampled codes and no
// manifold. It needs the extent only to decode the manifold, so while that is off, the
// axes refitting to each new scatter is no news to it.
let viewSent = JSON.stringify({ latentMode: 'z', manifold: false });

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
  const { loading, metrics, scatter, decoded, manifold, interpolation, recon } = latest;
  latest = {};
  if (loading) status.loading(loading);
  if (metrics) status.metrics(metrics);
  if (scatter) showScatter(scatter);
  // An interpolation playing owns the decoded image until it ends.
  if (decoded && !player.playing) showDecoded(decoded);
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
    curves.draw();
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
  const codes = traits.variational ? `, ${MODE_NAMES[mode]},` : '';
  $('latent-caption').textContent = `${integer(latent.count())} test digits${codes} at step ${integer(step)}`;
}

function showDecoded({ x, y, width, height, rgba }) {
  drawPixels($('decoded'), rgba, width, height);
  $('decoded-caption').textContent = `decoded from z = (${x.toFixed(2)}, ${y.toFixed(2)})`;
}

function showRecon() {
  const canvas = $('recon');
  if (!reconShown) {
    drawMessage(canvas, 'Test digits and their reconstructions appear after the first evaluation.', 120);
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
  $('recon-caption').textContent = `${integer(count)} test digits at step ${integer(step)}`;
}

function showConfig(config) {
  controls.setConfig(config);
  for (const field of ['model', 'learningRate', 'batchSize', 'beta']) banner.clear(field);
}

/** A new model: everything measured on the old one goes. */
function startOver() {
  curves.clear();
  status.clearTraining();
  latent.setPoints(new Float32Array(0), new Uint8Array(0));
  latent.setManifold(null);
  player.clear();
  $('latent-caption').textContent = 'test digits encoded by the model';
  latent.movedByUser = false;
  reconShown = null;
  latest = { loading: latest.loading };
  document.body.dataset.step = '0';
  curvesDirty = reconDirty = true;
  invalidate();
}

const handlers = {
  loading(message) {
    latest.loading = message;
    invalidate();
  },
  backend({ backend }) {
    status.showBackend(backend);
  },
  ready(message) {
    document.body.dataset.state = 'ready';
    latest.loading = null;
    traits = modelTraits(message.config.model);
    curves.setModel(traits);
    modeSwitch.hidden = !traits.variational;
    status.ready(message);
    showConfig(message.config);
    controls.setPresetNote(message.presetNote);
    controls.setEnabled(true);
    startOver();
    curves.setEvalScope(message.evalCount, message.data?.test);
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
    curves.addMetrics(message);
    latest.metrics = message;
    document.body.dataset.step = String(message.step);
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
  decoded(message) {
    latest.decoded = message;
    decodeFinished();
    invalidate();
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
  reset() {
    startOver();
    decodeMarker();
  },
  error({ message, field, fatal }) {
    banner.show(message, field);
    if (field) controls.showFieldError(field, message);
    if (fatal) {
      latest.loading = null; // a progress report still waiting to be drawn must not revive the bar
      document.body.dataset.state = 'error';
      controls.setEnabled(false);
      status.fail();
    }
    // The failed request may have been a decode; do not wait for an answer that will not come.
    decodeFinished();
  },
};

worker.addEventListener('message', ({ data }) => {
  const handler = handlers[data?.type];
  if (handler) handler(data);
  else console.warn('Latent Lab: ignoring unknown message from the worker', data);
});
worker.addEventListener('error', (event) => {
  event.preventDefault();
  const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
  handlers.error({
    message: event.message
      ? `The training worker stopped: ${event.message}${where}. Reload the page to start again.`
      : 'The training worker (www/js/worker.js) could not be started. If you are running from a ' +
        'source checkout, build the WebAssembly package first (see README.md), then reload.',
    fatal: true,
  });
});
worker.addEventListener('messageerror', () => {
  handlers.error({ message: 'A message from the training worker could not be read.', fatal: false });
});

const resizes = new ResizeObserver(() => {
  curvesDirty = reconDirty = true;
  invalidate();
});
for (const id of ['loss-chart', 'parts-chart', 'acc-chart', 'recon']) resizes.observe($(id));

document.body.dataset.state = 'loading';
document.body.dataset.step = '0';
invalidate();
// ?backend= picks the backend, ?seed= the initial weights and shuffling (validated by the worker).
const params = new URLSearchParams(location.search);
send({ type: 'init', backend: params.get('backend') ?? 'auto', seed: params.has('seed') ? Number(params.get('seed')) : null });
