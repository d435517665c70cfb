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
    canvas.setAttribute('aria-label', title);
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

    if (total === 0) {
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
    const fitting = this.series.some((s) => s.fitY && s.count > 0)
      ? this.series.filter((s) => s.fitY)
      : this.series;
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
    for (const s of this.series) {
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

  drawSeries(box, px, py) {
    const { ctx, logY } = this;
    ctx.save();
    ctx.beginPath();
    ctx.rect(box.left, box.top - 1, box.right - box.left, box.bottom - box.top + 2);
    ctx.clip();
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    for (const s of this.series) {
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.lineWidth;
      ctx.setLineDash(s.dashed ? [6, 4] : []);
      ctx.beginPath();
      let penDown = false;
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
          ctx.arc(px(s.x(i)), py(v), 3.25, 0, 2 * Math.PI);
          ctx.fill();
          ctx.stroke();
        }
      }
    }
    ctx.restore();
  }

  layoutLegend(width) {
    const { ctx } = this;
    ctx.font = `12px ${FONT_FAMILY}`;
    const swatch = 18;
    const rowHeight = 18;
    const items = [];
    let x = 2;
    let row = 0;
    for (const s of this.series) {
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
      ctx.fillStyle = INK;
      ctx.fillText(s.label, x + 24, y + 0.5);
    }
  }
}
