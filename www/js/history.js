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
   * The messages of a saved history (text from a checkpoint), in order, to be replayed
   * through the page's handlers. Text that is not a history gives none: a checkpoint written
   * by the command line has no curves, and a damaged history must not stop the run loading.
   */
  static messages(text) {
    let saved;
    try {
      saved = JSON.parse(text);
    } catch {
      return [];
    }
    if (saved?.version !== 1 || !Array.isArray(saved.metrics) || !Array.isArray(saved.evals)) return [];
    const metrics = saved.metrics.map((m) => {
      const message = { ...m, type: 'metrics' };
      for (const key of METRIC_ARRAYS) {
        if (Array.isArray(m[key])) message[key] = Float32Array.from(m[key], (v) => (v === null ? NaN : v));
      }
      return message;
    });
    const evals = saved.evals.map((e) => ({ ...e, type: 'eval', epoch: e.epoch ?? undefined }));
    return [...metrics, ...evals];
  }
}
