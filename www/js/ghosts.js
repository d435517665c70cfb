// Runs pinned to compare with, "ghosts": the run being trained, a run kept in this browser or
// a checkpoint, frozen as its charts showed it. Their curves stay on the charts, dashed, through
// resets and model switches until removed, and a legend names each run by the settings in
// which the runs differ (from each run's config and the catalog's control labels).

import { TrainingCurves } from './curves.js';
import { GanCurves } from './gan.js';
import { integer } from './util.js';

/** Ghosts at most: more dashed curves than this on one chart can no longer be told apart. */
export const MAX_GHOSTS = 4;

/** The page's charts by name, which a ghost's curves are kept under. */
export const chartsOf = (curves, ganCurves) => ({
  loss: curves.lossChart,
  parts: curves.partsChart,
  accuracy: curves.accChart,
  gan: ganCurves.chart,
});

/** Replays a saved history's messages (`RunHistory.messages`) into the curves, as they came. */
export function replay(messages, curves, ganCurves) {
  for (const message of messages) {
    if (message.type === 'eval') curves.addEval(message);
    else if (message.family === 'gan') ganCurves.add(message);
    else curves.addMetrics(message);
  }
}

/**
 * The charts' series of a saved history of a `config` run, made as the page's charts make
 * them (the same smoothing, the same names) in curves that are never shown.
 */
function chartsOfHistory(messages, config) {
  const element = (tag) => document.createElement(tag);
  const table = element('table');
  table.createTBody();
  const curves = new TrainingCurves({
    lossCanvas: element('canvas'),
    lossReadout: element('p'),
    logToggle: element('input'),
    partsCard: element('section'),
    partsCanvas: element('canvas'),
    partsReadout: element('p'),
    partsLogToggle: element('input'),
    accCard: element('section'),
    accCanvas: element('canvas'),
    accReadout: element('p'),
    epochTable: table,
  });
  const ganCurves = new GanCurves(element('canvas'), element('p'));
  curves.setModel(config);
  ganCurves.setModel(config);
  replay(messages, curves, ganCurves);
  return snapshot(chartsOf(curves, ganCurves));
}

/** Frozen copies of the curves of each chart (see `LineChart.snapshot`). */
function snapshot(charts) {
  return Object.fromEntries(Object.entries(charts).map(([key, chart]) => [key, chart.snapshot()]));
}

export class Ghosts {
  /**
   * @param {{list: HTMLUListElement, note: HTMLElement, pin: HTMLButtonElement,
   *   onChange: () => void}} elements  the legend, where refusals and notes go, the button
   *   that pins the run being trained, and what to do when the ghosts change (redraw)
   */
  constructor({ list, note, pin, onChange }) {
    Object.assign(this, { list, note, pin, onChange });
    this.ghosts = [];
    this.nextId = 1;
    this.catalog = null;
    this.config = null;
  }

  setCatalog(catalog) {
    this.catalog = catalog;
  }

  /** The run being trained now has these settings: the legend names the runs against them. */
  setConfig(config) {
    this.config = config;
    this.show();
  }

  /** Pins the run being trained at `step`, as the page's `charts` show it. */
  pinCurrent(charts, step) {
    if (!(step > 0)) return this.say('Nothing to pin yet: train a few steps first.');
    this.add({ name: `this run at step ${integer(step)}`, config: this.config, step, charts: snapshot(charts) });
  }

  /**
   * Pins a kept run or a checkpoint the worker read (its `ghost` message); `messages` is its
   * history as `RunHistory.messages` gives it, `why` what kept its curves away, if anything.
   */
  pinSaved({ name, config, step }, messages, why) {
    const charts = chartsOfHistory(messages, config);
    const empty = Object.values(charts).every((series) => series.length === 0);
    let note = null;
    if (why) note = `its curves could not be read (${why})`;
    else if (empty) note = 'it carries no curves (a checkpoint written by the command line has none)';
    this.add({ name: `${name} at step ${integer(step)}`, config, step, charts, note });
  }

  add({ name, config, step, charts, note = null }) {
    if (this.ghosts.length >= MAX_GHOSTS) {
      return this.say(`At most ${MAX_GHOSTS} runs can be pinned: remove one to pin ${name}.`);
    }
    // A run of another kind of model (a GAN beside an autoencoder) shares no chart to be drawn on.
    if (!note && config.family !== this.config.family) {
      return this.say(`${name} (${config.label}) shares no chart with ${this.config.label}: pin it while a model of its kind is shown.`);
    }
    this.ghosts.push({ id: this.nextId++, name, config, step, charts, note });
    this.say(note ? `Pinned ${name}, but ${note}: the legend names its settings.` : `Pinned ${name}: its curves are drawn dashed.`);
    this.changed();
  }

  remove(id) {
    this.ghosts = this.ghosts.filter((g) => g.id !== id);
    this.say('');
    this.changed();
  }

  changed() {
    this.show();
    this.onChange();
  }

  say(text) {
    this.note.textContent = text;
  }

  /**
   * Each run's name in the legend: its model where the runs' models differ, and the settings
   * (preset, seed, each control) in which it differs from the other runs of its model, from the
   * configs the session reported and the catalog's labels. Index 0 is the run being trained.
   */
  labels() {
    const runs = [this.config, ...this.ghosts.map((g) => g.config)];
    const differ = (group, read) => new Set(group.map((c) => JSON.stringify(read(c) ?? null))).size > 1;
    const models = differ(runs, (c) => c.model);
    return runs.map((run) => {
      const group = runs.filter((c) => c.model === run.model);
      const parts = models ? [run.label] : [];
      if (differ(group, (c) => c.preset)) parts.push(`preset ${run.preset}`);
      if (differ(group, (c) => c.seed)) parts.push(`seed ${run.seed}`);
      for (const { field, label } of this.catalog?.controls ?? []) {
        const value = run.values[field];
        if (value !== null && value !== undefined && differ(group, (c) => c.values[field])) parts.push(`${label} = ${value}`); // as JavaScript writes it: 0.001, 1e-7
      }
      return parts.length ? parts.join(', ') : 'the same settings';
    });
  }

  /** The ghosts' curves on each of the page's `charts` it shares with them, and their legend there. */
  apply(charts) {
    if (!this.config) return; // no run yet to compare with
    const labels = this.labels();
    for (const [key, chart] of Object.entries(charts)) {
      const ghosts = this.ghosts.map((g, i) => ({
        label: labels[i + 1],
        // A series this chart does not have (a DCGAN's discriminator loss on a WGAN's chart) is left out.
        series: (g.charts[key] ?? []).filter((s) => chart.series.some((own) => own.name === s.name)),
      }));
      chart.setGhosts(ghosts, labels[0]);
    }
  }

  /** The legend: the run being trained and each ghost, by the settings that tell them apart. */
  show() {
    if (!this.config) return;
    this.pin.disabled = this.ghosts.length >= MAX_GHOSTS;
    if (!this.ghosts.length) {
      this.list.replaceChildren();
      this.list.hidden = true;
      return;
    }
    const labels = this.labels();
    const item = (label, detail, dashed) => {
      const li = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = dashed ? 'ghost-swatch dashed' : 'ghost-swatch';
      swatch.setAttribute('aria-hidden', 'true');
      const name = document.createElement('span');
      name.className = 'ghost-label';
      name.textContent = label;
      const more = document.createElement('small');
      more.textContent = detail;
      li.append(swatch, name, more);
      return li;
    };
    const items = [item(labels[0], 'this run, solid', false)];
    items[0].dataset.run = 'current';
    this.ghosts.forEach((g, i) => {
      // A ghost pinned beside a model of its kind stays through a switch to another kind, undrawn.
      const apart = g.config.family === this.config.family ? '' : `: not drawn beside ${this.config.label}, which shares no chart with it`;
      const li = item(labels[i + 1], `${g.name}, dashed${g.note ? `: ${g.note}` : apart}`, true);
      li.dataset.ghost = String(g.id);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'ghost-remove';
      remove.textContent = 'Remove';
      remove.title = `Take ${g.name} off the charts`;
      remove.addEventListener('click', () => this.remove(g.id));
      li.append(remove);
      items.push(li);
    });
    this.list.replaceChildren(...items);
    this.list.hidden = false;
  }
}
