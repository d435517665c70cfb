// The messages between the page (main.js) and the training worker (worker.js), both ways.
// Each is a plain object whose `type` names it; its other fields are typed below. The worker
// learns models and controls from the wasm Session and tells the page (`catalog`, `config`):
// neither side names a model or a hyper-parameter.

/**
 * A model's description and a run's settings, as the Session reports them
 * (src/catalog/mod.rs `ModelInfo`, src/settings.rs `SettingsOutput`).
 * @typedef {{name: string, label: string, group: string, family: 'latent'|'gan', slot: 'side28'|'side40',
 *   imageSide: number, plane: boolean, variational: boolean, classifier: boolean,
 *   wasserstein: boolean, judged: boolean, gridSide: number,
 *   presets: {name: string, label: string}[]}} ModelInfo
 * @typedef {{field: string, label: string, help: string, whole: boolean, min: number,
 *   max: number|null}} Control
 * @typedef {{name: string, label: string, slot: string, classes: string[], judged: boolean}} DatasetInfo
 *   a built-in dataset (src/catalog/mod.rs)
 * @typedef {{id: {name: string, builtin: boolean, hash: string}, label: string, slot: string,
 *   classes: string[], train: number, test: number, smoothness: number|null,
 *   own: {images: number, side: number, resizedFrom: number[][], skipped: string[],
 *   ignored: number}|null, restarted: boolean, notice: string|null}} DataSummary  the data
 *   the Session holds for a slot (src/session/data.rs)
 * @typedef {{models: ModelInfo[], datasets: DatasetInfo[], controls: Control[],
 *   linkKeys: string[], evalSubset: number, rollbackFactor: number}} Catalog
 * @typedef {ModelInfo & {model: string, seed: number, preset: string, presetText: string,
 *   values: Object<string, number|null>, presetValues: Object<string, number|null>,
 *   link: [string, string][], diagram: Diagram}} Config
 * @typedef {{parts: {id: string, label: string}[], nodes: {id: string, part: string,
 *   kind: string, label: string, detail: string, shape: number[], params: number,
 *   stats: number}[], edges: {from: string, to: string, path: 'real'|'fake'|null}[],
 *   losses: {id: string, label: string, term: string, nodes: string[]}[],
 *   decode: string[]}} Diagram  the networks of a run, layer by layer
 *   (src/model/diagram.rs; docs/architecture.md, "The model diagram")
 * @typedef {{kind: string, label: string, phrase: string, reason: string, maxBuffer: number|null,
 *   rival: string|null}} Backend  `rival`: the kind the automatic choice times against it
 * @typedef {{runKind: string, runMs: number, trialKind: string, trialMs: number}} Measured
 *   what the automatic choice timed for one model on one adapter
 */

/**
 * Page -> worker.
 * @typedef {{type: 'init', backend: string, link: [string, string][], keepBytes: number,
 *   data: string, timeSoftware: boolean, choices: Object<string, Measured>}} Init  the
 *   backend asked for (`?backend=`), the link's query pairs, how many bytes of your own files
 *   the browser may keep, the URL of the data folder beside the page, whether a software
 *   adapter is timed too (`&probe=force`), and what the automatic choice measured before
 * @typedef {{type: 'play'|'pause'|'step'|'reset'|'save'|'autosave'}} Command
 * @typedef {{type: 'configure', config: Object<string, string|number>}} Configure  one
 *   change: `{model}`, `{preset}` or `{<control field>: value}`
 * @typedef {{type: 'rollback', factor: number}} Rollback  after a divergence
 * @typedef {{type: 'resume'|'discard', model: *}} SavedRun  a run kept in this browser, by its
 *   key as stored (a model's name, or whatever a damaged record holds)
 * @typedef {{type: 'loadCheckpoint', name: string, bytes: ArrayBuffer}} LoadCheckpoint
 * @typedef {{type: 'pin', model?: *, name?: string, bytes?: ArrayBuffer}} Pin  a run to
 *   compare with: a kept run by its key, or a checkpoint file
 * @typedef {{type: 'dataset', name: string}} PickDataset  a built-in dataset by name
 * @typedef {{type: 'loadOwn', name: string, files: {path: string, bytes: ArrayBuffer}[]}} LoadOwn
 *   your own files (a folder's with their paths under it)
 * @typedef {{type: 'keptData', hash: string}} LoadKept  your data kept in this browser
 * @typedef {{type: 'keepLimit', bytes: number}} KeepLimit  how many bytes of your files to keep
 * @typedef {{type: 'trainJudge'}} TrainJudge  a judge for the loaded labelled 28x28 data
 * @typedef {{type: 'view', latentMode: 'z'|'mean', manifold: boolean,
 *   extent: {x0: number, x1: number, y0: number, y1: number}|null}} View  what the latent
 *   card shows
 * @typedef {{type: 'interpolate', from: number, to: number}} Interpolate  two scatter points
 * @typedef {{type: 'decode', x: number, y: number}} Decode  a point of the plane
 * @typedef {{type: 'encode', pixels: Float32Array}} Encode  a drawing of the pad, 28x28
 *   values in [0, 1], row-major
 */
export const TO_WORKER = Object.freeze([
  'init', 'play', 'pause', 'step', 'reset', 'save', 'autosave', 'configure', 'rollback', 'resume', 'discard',
  'loadCheckpoint', 'dataset', 'loadOwn', 'keptData', 'keepLimit', 'trainJudge', 'view', 'interpolate', 'decode',
  'pin',
  'encode',
]);

/**
 * Worker -> page.
 * @typedef {{type: 'catalog', catalog: Catalog}} CatalogMessage  first of all
 * @typedef {{type: 'backend', backend: Backend}} BackendMessage  the backend, or a new one
 * @typedef {{type: 'choice', key: string} & Measured} Choice  a measurement for the page to
 *   remember, by model and adapter
 *   after the GPU failed
 * @typedef {{type: 'loading', what: string, file: string, loaded: number, total: number,
 *   overall: number, unit?: 'files'}} Loading  download progress, in bytes or (your own
 *   files) in files read
 * @typedef {{type: 'ready', backend: Backend, data: DataSummary|null, config: Config,
 *   evalCount: number, step?: number}} Ready  a model to show, from `step`, and its data
 * @typedef {{type: 'reset'}} Reset  the charts start over
 * @typedef {{type: 'config', config: Config}} ConfigMessage  settings changed without a new run
 * @typedef {{type: 'state', running: boolean}} State
 * @typedef {{type: 'metrics', family: string, firstStep: number, step: number, epoch: number,
 *   epochProgress: number, stepMs: number, readBackMs: number, stepsPerSec: number,
 *   wasmMemory: number, losses?: Float32Array, mses?: Float32Array, kls?: Float32Array,
 *   accuracies?: Float32Array, criticLosses?: Float32Array, generatorLosses?: Float32Array}} Metrics
 * @typedef {{type: 'eval', step: number, epoch?: number, loss: number, mse: number,
 *   kl: number|null, accuracy: number|null, count: number}} Eval
 * @typedef {{type: 'scatter', step: number, mode: 'z'|'mean', points: Float32Array,
 *   labels: Uint8Array}} Scatter
 * @typedef {{type: 'manifold', step: number, extent: object, n: number, width: number,
 *   height: number, rgba: Uint8ClampedArray}} Manifold
 * @typedef {{type: 'recon', step: number, count: number, width: number, height: number,
 *   originals: Uint8ClampedArray, recons: Uint8ClampedArray}} Recon
 * @typedef {{type: 'samples', step: number, count: number, width: number, height: number,
 *   rgba: Uint8ClampedArray, meters: object|null}} Samples  with the meters of the same step
 *   (src/session/views.rs `PolyMeters`, `DigitMeters`; null while the MNIST DCGAN has no judge)
 * @typedef {{type: 'real', width: number, height: number, rgba: Uint8ClampedArray}} Real
 *   real training images, as many and as large as the samples
 * @typedef {{type: 'decoded', x: number, y: number, width: number, height: number,
 *   rgba: Uint8ClampedArray}} Decoded
 * @typedef {{type: 'encoded', step: number, encoding: {mean: number[], std: number[]|null,
 *   side: number, recon: Uint8ClampedArray, nearest: {index: number, label: number|null,
 *   distance: number, rgba: Uint8ClampedArray}}|null}} Encoded  where a drawing lands (its
 *   posterior mean, the VAE's standard deviation), the image decoded from the mean, and the
 *   nearest test image of the evaluation subset in pixel space (src/session/drawing.rs);
 *   null when the model has no encoder or the call failed
 * @typedef {{type: 'interpolation', from: number, to: number, frames: number,
 *   points: Float32Array, width: number, height: number, rgba: Uint8ClampedArray}} Interpolation
 * @typedef {{type: 'diverged', step: number, value: number, message: string,
 *   rollbackStep: number, config: Config}} Diverged  training stopped
 * @typedef {{type: 'rolledBack', config: Config, step: number, message: string}} RolledBack
 * @typedef {{type: 'checkpoint', name: string, bytes: ArrayBuffer}} CheckpointMessage  to download
 * @typedef {{type: 'savedRuns', runs: {model: *, step: number|null, savedAt: number|null,
 *   damaged: string|null}[]}} SavedRuns  `damaged` says why a run cannot be resumed
 * @typedef {{type: 'autosaved', model?: string, step?: number, savedAt?: number,
 *   tookMs?: number, error?: string}} Autosaved  `tookMs`: how long training waited for it
 * @typedef {{type: 'history', text: string}} History  a resumed run's chart history
 * @typedef {{type: 'ghost', name: string, config: Config, step: number, history: string,
 *   curvesLost: string|null}} Ghost  a kept run or checkpoint read to compare with: its
 *   settings, step and chart history ('' when it has none or `curvesLost` says why not)
 * @typedef {{type: 'data', data: DataSummary}} DataMessage  a dataset arrived
 * @typedef {{type: 'datasets', installed: Object<string, boolean>}} Datasets  which built-in
 *   datasets set-up installed
 * @typedef {{type: 'preview', name: string, width: number, height: number,
 *   rgba: Uint8ClampedArray}} Preview  the first images of your data
 * @typedef {{type: 'keptData', data: {hash: string, name: string, slot: string, size: number,
 *   savedAt: number, judge: boolean}[], status: string|null}} KeptData  your data kept in this
 *   browser, newest first, and what became of the last files given
 * @typedef {{type: 'judge', hash: string, dataset: string, state: 'training'|'ready'|'failed',
 *   step: number, steps: number, accuracy: number|null}} JudgeMessage  a judge trained for
 *   your own data
 * @typedef {{type: 'notice', message: string}} Notice
 * @typedef {{type: 'error', message: string, name?: string, field?: string,
 *   fatal: boolean}} ErrorMessage  `field` names the control a refusal is about
 * @typedef {{type: 'crashed', message: string}} Crashed  the wasm code trapped (out of memory,
 *   a panic): the worker can do nothing more, and the page starts a new one
 */
export const FROM_WORKER = Object.freeze([
  'catalog', 'backend', 'choice', 'loading', 'ready', 'reset', 'config', 'state', 'metrics', 'eval', 'scatter', 'manifold',
  'recon', 'samples', 'real', 'decoded', 'interpolation', 'diverged', 'rolledBack', 'checkpoint', 'savedRuns',
  'autosaved', 'history', 'data', 'datasets', 'preview', 'keptData', 'judge', 'notice', 'error', 'crashed',
  'ghost',
  'encoded',
]);

/** Throws unless `message` is one of `known` (a typo in a message type fails at once). */
export function checked(message, known) {
  if (!known.includes(message?.type)) throw new Error(`Latent Lab: no such worker message '${message?.type}'`);
  return message;
}
