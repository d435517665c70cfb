// A small line chart on a <canvas>: x is the training step, y is a metric.

import { niceScale, logScale } from './ticks.js';
import { FONT_FAMILY } from './util.js';

// Per series. Past this the series keeps every other point, so a long run costs the
// same to draw as a short one and memory stays bounded.
const MAX_POINTS = 4000;

const INK = '#4b5565';
const FAINT = '#8a93a3';
const GRID = '#eceef2';
const AXIS = '#c5cad3';

class Series {
  constructor({ name, color, dashed = false, points = false, line = true, lineWidth = 1.75, fitY = true }) {
    Object.assign(this, { name, label: name, color, dashed, points, line, lineWidth, fitY });
    this.clear();
  }

  clear() {
    this.xs = new Float64Array(64);
    this.ys = new Float32Array(64);
    this.n = 0;
    // After each decimation only every stride-th new point is stored, so the density
    // along x stays even instead of the recent part being twice as dense as the rest.
    this.stride = 1;
    this.seen = 0;
    // The newest point when the stride skipped it: still drawn, so the line always
    // reaches the latest step.
    this.hasTail = false;
    this.tailX = 0;
    this.tailY = 0;
  }

  get count() {
    return this.n + (this.hasTail ? 1 : 0);
  }

  add(x, y) {
    if (this.seen++ % this.stride !== 0) {
      this.hasTail = true;
      this.tailX = x;
      this.tailY = y;
      return;
    }
    if (this.n === this.xs.length) {
      const xs = new Float64Array(this.n * 2);
      const ys = new Float32Array(this.n * 2);
      xs.set(this.xs);
      ys.set(this.ys);
      this.xs = xs;
      this.ys = ys;
    }
    this.xs[this.n] = x;
    this.ys[this.n] = y;
    this.n++;
    this.hasTail = false;
    if (this.n > MAX_POINTS) this.decimate();
  }

  /** Forgets the points past x = maxX (a run rolled back to that step). */
  truncate(maxX) {
    let n = 0;
    while (n < this.n && this.xs[n] <= maxX) n++;
    this.n = n;
    if (this.hasTail && this.tailX > maxX) this.hasTail = false;
  }

  decimate() {
    const last = this.n - 1;
    if (last % 2 === 1) {
      this.hasTail = true;
      this.tailX = this.xs[last];
      this.tailY = this.ys[last];
    }
    let j = 0;
    for (let i = 0; i < this.n; i += 2, j++) {
      this.xs[j] = this.xs[i];
      this.ys[j] = this.ys[i];
    }
    this.n = j;
    this.stride *= 2;
  }

  x(i) {
    return i < this.n ? this.xs[i] : this.tailX;
  }

  y(i) {
    return i < this.n ? this.ys[i] : this.tailY;
  }

  /** The index of the recorded point whose step is nearest `x` (the steps ascend); -1 when empty. */
  nearest(x) {
    const count = this.count;
    if (count === 0) return -1;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.x(mid) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && x - this.x(lo - 1) <= this.x(lo) - x ? lo - 1 : lo;
  }

  /** A frozen copy of its points, for a ghost: a pinned run that this one is compared with. */
  copy() {
    const copy = new Series(this);
    Object.assign(copy, {
      label: this.label,
      xs: this.xs.slice(0, this.n),
      ys: this.ys.slice(0, this.n),
      n: this.n,
      hasTail: this.hasTail,
      tailX: this.tailX,
      tailY: this.tailY,
    });
    return copy;
  }
}

/** A value as the hover readout shows it: four significant figures, whole numbers from 10,000. */
export const formatValue = (v) =>
  !Number.isFinite(v) ? String(v) : Math.abs(v) >= 1e4 ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(4)));

// A ghost's curves are drawn in its series' own colours at this opacity, dashed.
const GHOST_ALPHA = 0.5;
const GHOST_DASH = [6, 4];

// The chart each canvas shows now: a model switch may make a new chart on the same canvas,
// and the canvas's pointer and key listeners, added once, serve whichever is current.
const CHARTS = new WeakMap();

// Screen readers hear the readout when a key moves it, or when the pointer rests this long:
// every pixel of a sweep would be too many announcements.
const ANNOUNCE_AFTER_MS = 600;

/**
 * The canvas's hover: the pointer (a mouse, or a finger pressed and moved) or, once it has
 * the focus, the arrow keys, Home and End point at a step; Escape or leaving lets go.
 */
function listen(canvas) {
  const chart = () => CHARTS.get(canvas);
  canvas.tabIndex = 0;
  canvas.addEventListener('pointermove', (e) => {
    const rect = canvas.getBoundingClientRect();
    chart().hover = { px: e.clientX - rect.left };
    chart().redraw();
  });
  const leave = () => {
    chart().hover = null;
    chart().redraw();
  };
  canvas.addEventListener('pointerleave', leave);
  canvas.addEventListener('pointercancel', leave);
  canvas.addEventListener('blur', leave);
  const keys = { ArrowLeft: -1, ArrowRight: 1, PageDown: -10, PageUp: 10, Home: -Infinity, End: Infinity };
  canvas.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') return leave();
    if (!(e.key in keys)) return;
    e.preventDefault();
    chart().stepHover(keys[e.key]);
  });
}

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas sized by CSS; the backing store follows its size.
   * @param {{title: string, yLabel?: string, series: Array<{name: string, color: string,
   *   dashed?: boolean, points?: boolean, line?: boolean, lineWidth?: number, fitY?: boolean}>,
   *   yMin?: number, yMax?: number, logY?: boolean}} options
   *   A series with fitY: false (e.g. noisy raw values) is drawn but does not stretch
   *   the y axis; what falls outside is clipped.
   */
  constructor(canvas, { title, yLabel = '', series, yMin, yMax, logY = false }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.yLabel = yLabel;
    this.yMin = yMin;
    this.yMax = yMax;
    this.logY = logY;
    this.series = series.map((s) => new Series(s));
    // Pinned runs, each {label, series} with series as `Series.copy` makes them (see ghosts.js).
    this.ghosts = [];
    // What the pointer or the arrow keys point at: {px} a position on the canvas, or {step};
    // null when nothing is.
    this.hover = null;
    this.frame = 0;
    canvas.setAttribute('aria-label', title);
    if (!CHARTS.has(canvas)) listen(canvas);
    CHARTS.set(canvas, this);
  }

  /**
   * The pinned runs to draw dashed under this one's curves, `[{label, series: Series[]}]`,
   * and the legend's name for the run being trained beside them.
   */
  setGhosts(ghosts, runLabel) {
    this.ghosts = ghosts;
    this.runLabel = runLabel;
  }

  /** Copies of its series that carry the run's figures (not the raw values under the averages). */
  snapshot() {
    return this.series.filter((s) => s.fitY && s.count > 0).map((s) => s.copy());
  }

  /** Redraws at the next animation frame, at most once per frame. */
  redraw() {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
    }
  }

  truncate(maxX) {
    for (const s of this.series) s.truncate(maxX);
  }

  addPoint(seriesName, x, y) {
    if (Number.isFinite(x) && Number.isFinite(y)) this.find(seriesName).add(x, y);
  }

  /** Changes the name shown in the legend; points are still added under the original name. */
  setLabel(seriesName, label) {
    this.find(seriesName).label = label;
  }

  setLogY(logY) {
    this.logY = logY;
  }

  reset() {
    for (const s of this.series) s.clear();
  }

  find(name) {
    const series = this.series.find((s) => s.name === name);
    if (!series) throw new Error(`LineChart: no series named "${name}"`);
    return series;
  }

  draw() {
    const { canvas, ctx } = this;
    const total = this.series.reduce((sum, s) => sum + s.count, 0);
    canvas.dataset.points = String(total);
    this.layout = null;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return; // not displayed: nothing to lay out

    const dpr = window.devicePixelRatio || 1;
    const bw = Math.round(width * dpr);
    const bh = Math.round(height * dpr);
    if (canvas.width !== bw || canvas.height !== bh) {
      canvas.width = bw;
      canvas.height = bh;
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const legend = this.layoutLegend(width);
    const top = legend.height + 12;
    const bottom = height - 36;
    const y = this.yScale(Math.max(2, Math.floor((bottom - top) / 30)));

    ctx.font = `11px ${FONT_FAMILY}`;
    const labelWidth = Math.max(...y.labels.map((t) => ctx.measureText(t).width));
    const left = Math.ceil((this.yLabel ? 22 : 2) + labelWidth + 8);
    const right = width - 12;
    const x = this.xScale(Math.max(2, Math.floor((right - left) / 72)));

    const ty = this.logY ? Math.log10 : (v) => v;
    const y0 = ty(y.lo);
    const ySpan = ty(y.hi) - y0;
    const px = (v) => left + ((v - x.lo) / (x.hi - x.lo)) * (right - left);
    const py = (v) => bottom - ((ty(v) - y0) / ySpan) * (bottom - top);

    this.drawAxes({ left, right, top, bottom, width, height }, x, y, px, py);
    this.drawSeries({ left, right, top, bottom }, px, py);
    this.drawLegend(legend);
    // Where the steps are, for the pointer: the plot's edges in CSS pixels and the steps there.
    this.layout = { left, right, top, bottom, x, px, py };
    canvas.dataset.plot = `${left} ${right} ${x.lo} ${x.hi}`;
    this.drawHover();

    if (total === 0 && !this.ghosts.some((g) => g.series.length)) {
      ctx.font = `13px ${FONT_FAMILY}`;
      ctx.fillStyle = FAINT;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('No data yet: press Play or Step', (left + right) / 2, (top + bottom) / 2);
    }
  }

  yScale(maxTicks) {
    const { logY, yMin, yMax } = this;
    let min = Infinity;
    let max = -Infinity;
    const own = this.series.some((s) => s.fitY && s.count > 0)
      ? this.series.filter((s) => s.fitY)
      : this.series;
    const fitting = [...own, ...this.ghostSeries()];
    for (const s of fitting) {
      for (let i = 0; i < s.count; i++) {
        const v = s.y(i);
        if (logY && v <= 0) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    if (logY) {
      const lo = yMin > 0 ? yMin : min;
      const hi = yMax > 0 ? yMax : max;
      return Number.isFinite(lo) && Number.isFinite(hi) ? logScale(lo, hi, maxTicks) : logScale(0.01, 1, maxTicks);
    }
    if (!Number.isFinite(min)) {
      min = yMin ?? 0;
      max = yMax ?? 1;
    }
    return niceScale(yMin ?? min, yMax ?? max, maxTicks, yMin === undefined, yMax === undefined);
  }

  xScale(maxTicks) {
    let max = -Infinity;
    let min = 0; // training starts at step 0; anchoring there shows how far the run has come
    for (const s of [...this.series, ...this.ghostSeries()]) {
      for (let i = 0; i < s.count; i++) {
        const v = s.x(i);
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // A minimum width keeps the first few steps from spreading across the whole chart.
    return niceScale(min, Math.max(max, min + 10), maxTicks, false, false);
  }

  drawAxes(box, x, y, px, py) {
    const { ctx } = this;
    const { left, right, top, bottom, height } = box;
    ctx.font = `11px ${FONT_FAMILY}`;
    ctx.lineWidth = 1;

    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    // A polyline through `points` ([x, y] pairs) in `style`.
    const stroke = (style, ...points) => {
      ctx.strokeStyle = style;
      ctx.beginPath();
      points.forEach(([a, b], i) => (i ? ctx.lineTo(a, b) : ctx.moveTo(a, b)));
      ctx.stroke();
    };
    y.ticks.forEach((t, i) => {
      const yy = Math.round(py(t)) + 0.5;
      stroke(GRID, [left, yy], [right, yy]);
      ctx.fillStyle = INK;
      ctx.fillText(y.labels[i], left - 8, yy);
    });

    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    x.ticks.forEach((t, i) => {
      const xx = Math.round(px(t)) + 0.5;
      stroke(AXIS, [xx, bottom], [xx, bottom + 4]);
      const label = x.labels[i];
      const half = ctx.measureText(label).width / 2;
      // Keep the last label inside the canvas rather than cut in half at the edge.
      ctx.fillStyle = INK;
      ctx.fillText(label, Math.min(xx, box.width - half - 1), bottom + 7);
    });

    stroke(AXIS, [left + 0.5, top], [left + 0.5, bottom + 0.5], [right, bottom + 0.5]);

    ctx.fillStyle = FAINT;
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('training step', (left + right) / 2, height - 3);
    if (this.yLabel) {
      ctx.save();
      ctx.translate(11, (top + bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textBaseline = 'middle';
      ctx.fillText(this.yLabel, 0, 0);
      ctx.restore();
    }
  }

  /** Every ghost's series, flat. */
  ghostSeries() {
    return this.ghosts.flatMap((g) => g.series);
  }

  drawSeries(box, px, py) {
    const { ctx } = this;
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top - 1, box.right - box.left, box.bottom - box.top + 2);
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    // The ghosts first, so that the run being trained is drawn over them.
    let ghostPoints = 0;
    ctx.globalAlpha = GHOST_ALPHA;
    for (const s of this.ghostSeries()) ghostPoints += this.drawOne(s, px, py, true);
    ctx.globalAlpha = 1;
    this.canvas.dataset.ghostPoints = String(ghostPoints);
    for (const s of this.series) this.drawOne(s, px, py, false);
    ctx.restore();
  }

  /** Draws one series (dashed when it is a ghost's, whatever it is in its own run); returns its points drawn. */
  drawOne(s, px, py, ghost) {
    const { ctx, logY } = this;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.lineWidth;
    ctx.setLineDash(ghost ? GHOST_DASH : s.dashed ? [6, 4] : []);
    ctx.beginPath();
    let penDown = false;
    let drawn = 0;
    for (let i = 0; i < s.count; i++) {
      const v = s.y(i);
      if (logY && v <= 0) {
        penDown = false; // not representable on a log axis: leave a gap
        continue;
      }
      const X = px(s.x(i));
      const Y = py(v);
      if (penDown) ctx.lineTo(X, Y);
      else ctx.moveTo(X, Y);
      penDown = true;
      drawn++;
    }
    if (s.line) ctx.stroke();
    if (s.points) {
      ctx.setLineDash([]);
      ctx.fillStyle = s.color;
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      for (let i = 0; i < s.count; i++) {
        const v = s.y(i);
        if (logY && v <= 0) continue;
        ctx.beginPath();
        ctx.arc(px(s.x(i)), py(v), ghost ? 2.5 : 3.25, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    }
    return drawn;
  }

  /**
   * The step under the pointer (or the keys' step) and each series' recorded point nearest
   * it, the ghosts' included: `{step, rows: [{run, series, step, value}]}`, run being null for
   * the run being trained and the ghost's label for a ghost; null when nothing is pointed at.
   */
  hovered() {
    const { hover, layout } = this;
    if (!hover || !layout) return null;
    const { left, right, x } = layout;
    const target = hover.step ?? x.lo + ((hover.px - left) / (right - left)) * (x.hi - x.lo);
    // The readout snaps to a step the run recorded (the ghosts' when it has none yet).
    const own = this.series.filter((s) => s.count > 0);
    const candidates = own.length ? own : this.ghostSeries().filter((s) => s.count > 0);
    let step = null;
    for (const s of candidates) {
      const at = s.x(s.nearest(target));
      if (step === null || Math.abs(at - target) < Math.abs(step - target)) step = at;
    }
    if (step === null) return null;
    const row = (run) => (s) => {
      const i = s.nearest(step);
      return { run, series: s.label, step: s.x(i), value: s.y(i), color: s.color };
    };
    const rows = own.map(row(null));
    for (const g of this.ghosts) rows.push(...g.series.filter((s) => s.count > 0).map(row(g.label)));
    return { step, rows };
  }

  /** The guide line and a dot on each series at the hovered step, and the readout beside them. */
  drawHover() {
    const hovered = this.hovered();
    this.showReadout(hovered);
    if (!hovered) return;
    const { ctx, layout, logY } = this;
    const { top, bottom, px, py } = layout;
    const X = Math.round(px(hovered.step)) + 0.5;
    ctx.save();
    ctx.setLineDash([]);
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(X, top);
    ctx.lineTo(X, bottom);
    ctx.stroke();
    for (const { step, value, color, run } of hovered.rows) {
      if (!Number.isFinite(value) || (logY && value <= 0)) continue;
      ctx.globalAlpha = run === null ? 1 : GHOST_ALPHA;
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.arc(px(step), py(value), 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  }

  /**
   * The readout: a box over the chart beside the guide line, one row per series (its own
   * step where that is not the hovered one), and the same words for screen readers.
   */
  showReadout(hovered) {
    const tip = this.readout();
    if (!tip) return;
    if (!hovered) {
      tip.box.hidden = true;
      return;
    }
    const rows = [Object.assign(document.createElement('div'), { className: 'chart-tip-step', textContent: `step ${hovered.step.toLocaleString('en-US')}` })];
    const words = [`step ${hovered.step.toLocaleString('en-US')}`];
    let run = null;
    for (const r of hovered.rows) {
      // Each ghost's rows under its name, once.
      if (r.run !== null && r.run !== run) {
        run = r.run;
        rows.push(Object.assign(document.createElement('div'), { className: 'chart-tip-run', textContent: `${run} (dashed)` }));
        words.push(`pinned run ${run}`);
      }
      const row = document.createElement('div');
      row.className = r.run === null ? 'chart-tip-row' : 'chart-tip-row ghost';
      row.dataset.series = r.series;
      row.dataset.step = String(r.step);
      row.dataset.value = String(r.value);
      if (r.run !== null) row.dataset.run = r.run;
      const at = r.step === hovered.step ? '' : ` (step ${r.step.toLocaleString('en-US')})`;
      const value = document.createElement('b');
      value.textContent = formatValue(r.value);
      row.append(`${r.series} `, value, at);
      rows.push(row);
      words.push(`${r.series} ${formatValue(r.value)}${at}`);
    }
    tip.box.replaceChildren(...rows);
    tip.box.dataset.step = String(hovered.step);
    tip.box.hidden = false;
    // Beside the guide line, on the side with room for it. The card holding the canvas is the
    // box's containing block (see style.css), and the canvas's offsets are within it.
    const { canvas, layout } = this;
    const X = canvas.offsetLeft + layout.px(hovered.step);
    const width = tip.box.offsetWidth;
    const fits = X + 10 + width <= canvas.offsetLeft + layout.right;
    tip.box.style.left = `${Math.max(canvas.offsetLeft, fits ? X + 10 : X - 10 - width)}px`;
    tip.box.style.top = `${canvas.offsetTop + layout.top + 4}px`;
    const text = words.join('; ');
    clearTimeout(tip.timer);
    if (this.hover.step !== undefined) tip.live.textContent = text;
    else tip.timer = setTimeout(() => (tip.live.textContent = text), ANNOUNCE_AFTER_MS);
  }

  /** The readout's elements beside the canvas, made at the first hover; none while it is not on the page. */
  readout() {
    const { canvas } = this;
    if (canvas.hoverTip) return canvas.hoverTip;
    if (!canvas.parentNode) return null;
    const box = Object.assign(document.createElement('div'), { className: 'chart-tip', hidden: true });
    box.setAttribute('aria-hidden', 'true');
    const live = Object.assign(document.createElement('p'), { className: 'visually-hidden' });
    live.setAttribute('aria-live', 'polite');
    canvas.after(box, live);
    canvas.hoverTip = { box, live, timer: 0 };
    return canvas.hoverTip;
  }

  /** Moves the keys' step by `by` recorded points of the densest series (Home and End: to either end). */
  stepHover(by) {
    const own = this.series.filter((s) => s.count > 0);
    const pool = own.length ? own : this.ghostSeries().filter((s) => s.count > 0);
    if (!pool.length) return;
    const s = pool.reduce((a, b) => (b.count > a.count ? b : a));
    const current = this.hovered()?.step;
    let i;
    if (by === -Infinity) i = 0;
    else if (by === Infinity || current === undefined) i = s.count - 1;
    else i = Math.min(s.count - 1, Math.max(0, s.nearest(current) + by));
    this.hover = { step: s.x(i) };
    this.redraw();
  }

  layoutLegend(width) {
    const { ctx } = this;
    ctx.font = `12px ${FONT_FAMILY}`;
    const swatch = 18;
    const rowHeight = 18;
    const items = [];
    let x = 2;
    let row = 0;
    // With ghosts, each run gets an entry: a dashed swatch for each ghost, a solid one for this run.
    const runs = this.ghosts.some((g) => g.series.length)
      ? [{ label: this.runLabel, color: INK, lineWidth: 2, line: true }, ...this.ghosts
        .filter((g) => g.series.length)
        .map((g) => ({ label: g.label, color: INK, lineWidth: 2, line: true, dashed: true, alpha: GHOST_ALPHA }))]
      : [];
    for (const s of [...this.series, ...runs]) {
      const w = swatch + 6 + ctx.measureText(s.label).width;
      if (x > 2 && x + w > width) {
        x = 2;
        row++;
      }
      items.push({ s, x, y: row * rowHeight + rowHeight / 2 });
      x += w + 18;
    }
    return { items, height: (row + 1) * rowHeight };
  }

  drawLegend({ items }) {
    const { ctx } = this;
    ctx.font = `12px ${FONT_FAMILY}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    for (const { s, x, y } of items) {
      ctx.globalAlpha = s.alpha ?? 1;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = Math.max(2, s.lineWidth);
      ctx.setLineDash(s.dashed ? [4, 3] : []);
      if (s.line) {
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.lineTo(x + 18, y);
        ctx.stroke();
      }
      ctx.setLineDash([]);
      if (s.points) {
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.arc(x + 9, y, 3.25, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.globalAlpha = 1;
      ctx.fillStyle = INK;
      ctx.fillText(s.label, x + 24, y + 0.5);
    }
  }
}
