// What the charts have shown of a run, kept so that a checkpoint can carry it and a resumed
// run gets its curves back: the per-step losses and the evaluations. The worker keeps it (it
// sends every figure); the page replays a loaded one into its charts.

const METRIC_ARRAYS = ['losses', 'mses', 'kls', 'accuracies', 'criticLosses', 'generatorLosses'];
// Steps kept at most: past this every other chunk of steps goes, as the charts thin their own
// points, so that a run left training for hours keeps a bounded history (and checkpoint).
const MAX_STEPS = 20_000;
const MAX_EVALS = 2_000;

export class RunHistory {
  constructor() {
    this.clear();
  }

  clear() {
    this.metrics = [];
    this.evals = [];
    this.steps = 0;
  }

  addMetrics(message) {
    const entry = { family: message.family, firstStep: message.firstStep };
    // JSON has no NaN: a diverged step is kept as null and comes back as NaN.
    for (const key of METRIC_ARRAYS) if (message[key]) entry[key] = Array.from(message[key], (v) => (Number.isFinite(v) ? v : null));
    this.metrics.push(entry);
    this.steps += (message.losses ?? message.criticLosses).length;
    if (this.steps > MAX_STEPS) {
      this.metrics = this.metrics.filter((_, i) => i % 2 === 1);
      this.steps = this.metrics.reduce((n, m) => n + (m.losses ?? m.criticLosses).length, 0);
    }
  }

  addEval({ step, epoch, loss, mse, kl, accuracy, count }) {
    this.evals.push({ step, epoch, loss, mse, kl, accuracy, count });
    // Thinned like the steps, keeping every end-of-epoch evaluation (the results table's rows).
    if (this.evals.length > MAX_EVALS) this.evals = this.evals.filter((e, i) => e.epoch !== undefined || i % 2 === 1);
  }

  /** A run rolled back to `step`: what came after it goes. */
  truncate(step) {
    this.metrics = this.metrics.filter((m) => m.firstStep <= step);
    this.evals = this.evals.filter((e) => e.step <= step);
    this.steps = this.metrics.reduce((n, m) => n + (m.losses ?? m.criticLosses).length, 0);
  }

  toJSON() {
    return { version: 1, metrics: this.metrics, evals: this.evals };
  }

  /**
   * The messages of a saved history (text from a checkpoint of a `family` model), in order,
   * to be replayed through the page's handlers. No text gives none (a checkpoint written by
   * the command line has no curves). A history that is not one the page wrote throws, saying
   * what is wrong, before anything is replayed: the charts would otherwise stop half-way on
   * a field that is not there.
   */
  static messages(text, family) {
    if (!text) return [];
    let saved;
    try {
      saved = JSON.parse(text);
    } catch {
      throw new Error('it is not JSON');
    }
    if (saved?.version !== 1 || !Array.isArray(saved.metrics) || !Array.isArray(saved.evals)) {
      throw new Error('it is not a version 1 history');
    }
    const metrics = saved.metrics.map((m, i) => {
      const why = metricsDamage(m, family);
      if (why) throw new Error(`its chart entry ${i + 1} ${why}`);
      const message = { ...m, type: 'metrics' };
      for (const key of METRIC_ARRAYS) {
        if (m[key]) message[key] = Float32Array.from(m[key], (v) => (v === null ? NaN : v));
      }
      return message;
    });
    const evals = saved.evals.map((e, i) => {
      const why = evalDamage(e);
      if (why) throw new Error(`its evaluation ${i + 1} ${why}`);
      return { ...e, type: 'eval', epoch: e.epoch ?? undefined };
    });
    return [...metrics, ...evals];
  }
}

// The arrays each family's chart draws from (curves.js, gan.js).
const CHARTED = { latent: ['losses'], gan: ['criticLosses', 'generatorLosses'] };
const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
// A figure as saved: a number, or null for one that was NaN or infinite.
const isFigure = (v) => v === null || Number.isFinite(v);
const isOptionalFigure = (v) => v === undefined || isFigure(v);

function metricsDamage(m, family) {
  if (m === null || typeof m !== 'object') return 'is not an object';
  if (m.family !== family) return `is not of a ${family} model`;
  if (!isCount(m.firstStep)) return 'has no first step';
  const charted = CHARTED[family] ?? [];
  if (charted.some((key) => !Array.isArray(m[key]))) return `lacks ${charted.join(' and ')}`;
  const length = m[charted[0]].length;
  for (const key of METRIC_ARRAYS) {
    if (m[key] === undefined) continue;
    if (!Array.isArray(m[key]) || m[key].length !== length || !m[key].every(isFigure)) return `has a damaged ${key}`;
  }
  if (m.kls && !m.mses) return 'has the KL terms without the squared errors';
  return null;
}

function evalDamage(e) {
  if (e === null || typeof e !== 'object') return 'is not an object';
  if (!isCount(e.step) || !isCount(e.count)) return 'has no step or image count';
  if (!(e.epoch === undefined || e.epoch === null || isCount(e.epoch))) return 'has a damaged epoch';
  if (![e.loss, e.mse].every(isFigure) || ![e.kl, e.accuracy].every(isOptionalFigure)) return 'has a damaged figure';
  return null;
}
