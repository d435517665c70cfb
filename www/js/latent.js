// Scatter of the 2-D latent codes of test digits, with a marker the user drags to pick
// the point the decoder should render, two digits the user picks to interpolate between,
// and optionally the decoded manifold behind the points.

import { putPixels } from './images.js';
import { niceScale } from './ticks.js';
import { FONT_FAMILY } from './util.js';

// Okabe–Ito and Paul Tol hues plus a neutral grey: told apart under the common
// colour-vision deficiencies and all dark enough to read as small dots on white.
export const DIGIT_COLORS = [
  '#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9',
  '#d55e00', '#332288', '#999933', '#882255', '#6b6b6b',
];

const PAD = { left: 44, right: 12, top: 12, bottom: 34 };
const RING = 10;
const GRAB_RADIUS = RING + 8; // generous, so the ring is easy to pick up with a finger
const KEY_DIRECTIONS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
const PICK_RADIUS = 14; // how far from a dot a shift-click still picks it, in CSS pixels
const TOUCH_PICK_RADIUS = 24; // a fingertip covers more of the plot than a mouse pointer
const PICK_NAMES = ['A', 'B'];
// What the canvas tells the user, for a mouse and keyboard or for a touch screen: the pointer
// that matters is the primary one, so a phone with a paired keyboard still hears of touch.
const WORDING = {
  keys: {
    hint: 'drag the ring · click · arrow keys',
    pick: 'shift-click two points to interpolate, or press i',
    second: 'now shift-click a second point',
    label: 'Latent space of the test images. Drag the ring, click, or use the arrow keys (Shift for larger steps) '
      + 'to choose the point to decode. Shift-click two points, or press i for two at random, to interpolate between them.',
    planeLabel: "The generator's noise plane: two of its noise values, the others held fixed. Drag the ring, click, "
      + 'or use the arrow keys (Shift for larger steps) to choose the noise the image is generated from.',
  },
  touch: {
    hint: 'drag the ring · tap a point',
    pick: 'tap Interpolate, then two points',
    second: 'now tap a second point',
    label: 'Latent space of the test images. Drag the ring or tap to choose the point to decode. '
      + 'Tap Interpolate, then two points, to interpolate between them.',
    planeLabel: "The generator's noise plane: two of its noise values, the others held fixed. Drag the ring or tap "
      + 'to choose the noise the image is generated from.',
  },
};
const COARSE = window.matchMedia('(pointer: coarse)');
// Faint enough that the coloured dots stay readable over the white strokes of the digits.
const MANIFOLD_ALPHA = 0.55;

export class LatentView {
  /**
   * @param {HTMLCanvasElement} canvas focusable (tabindex=0), sized by CSS
   * @param {{onMove: (x: number, y: number) => void, onExtent: (extent: object) => void,
   *   onInterpolate: (from: number, to: number) => void, coords?: HTMLElement,
   *   legend?: HTMLElement, pickHint?: HTMLElement, hint?: HTMLElement,
   *   pickButton?: HTMLButtonElement}} options
   *   onMove is called at once for every move the user makes (the owner coalesces them: the
   *   decoded image is the one view whose latency a user feels, so it must not wait for the
   *   next animation frame).
   *   onExtent is called when the axes are refitted, with the latent rectangle {x0, x1, y0, y1}
   *   the plot area now shows. onInterpolate gets the indices, into the points, of the two
   *   digits the user picked (shift- or alt-click each, press i for a random pair, or press
   *   pickButton and then tap or click each). hint shows how to move the ring.
   */
  constructor(canvas, { onMove, onExtent, onInterpolate, coords, legend, pickHint, hint, pickButton }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.onMove = onMove;
    this.onExtent = onExtent;
    this.onInterpolate = onInterpolate;
    this.coords = coords;
    this.pickHint = pickHint;
    this.hint = hint;
    this.pickButton = pickButton;
    // Whether the next taps pick the two digits to interpolate (pickButton pressed).
    this.picking = false;
    this.points = new Float32Array(0);
    this.labels = new Uint8Array(0);
    this.extent = { x0: -3, x1: 3, y0: -3, y1: 3 };
    // A scatter that arrives mid-drag must not rescale the axes under the user's finger;
    // its extent waits here until the drag ends.
    this.pendingExtent = null;
    this.mx = 0;
    this.my = 0;
    // Set by any user move (before onMove); the owner clears it when the marker may follow
    // the data again.
    this.movedByUser = false;
    this.drag = null;
    // Points are painted once per scatter or resize into this layer; a drag frame only
    // copies it and draws the marker on top.
    this.layer = document.createElement('canvas');
    this.layerValid = false;
    // The decoded manifold's pixels and the latent rectangle they cover (null: none shown).
    this.manifold = document.createElement('canvas');
    this.manifoldExtent = null;
    // Indices of the digits picked for an interpolation: none, A, or A and B.
    this.picks = [];
    // Where a drawing on the pad landed (see setDrawing); null: none shown.
    this.drawing = null;
    this.frame = 0;

    this.legend = legend;
    this.setClasses(DIGIT_COLORS.map((_, digit) => String(digit)));
    this.updateWording();
    COARSE.addEventListener('change', () => this.updateWording());
    this.listen();
    new ResizeObserver(() => {
      this.layerValid = false;
      this.schedule();
    }).observe(canvas);
    this.schedule();
  }

  /** The legend's names of the labels, in label order; none for unlabelled data. */
  setClasses(classes) {
    this.classes = classes;
    if (this.legend) fillLegend(this.legend, classes);
  }

  /** @param {Float32Array} points x0,y0,x1,y1,… @param {Uint8Array} labels label per point
   * @param {{plane?: boolean}} [options] plane: no points to plot but a plane to point at */
  setPoints(points, labels, { plane = false } = {}) {
    this.plane = plane;
    this.points = points;
    this.labels = labels;
    const extent = fitExtent(points, this.count());
    if (extent) {
      if (this.drag) this.pendingExtent = extent;
      else this.applyExtent(extent);
    }
    this.picks = this.picks.filter((i) => i < this.count());
    if (this.count() < 2) this.picking = false;
    this.updateWording();
    this.layerValid = false;
    this.schedule();
  }

  /** No points, fixed axes: a plane to point at (a GAN's 2-D noise), the marker at its
   * centre rather than where the last model's point would clamp to. */
  showPlane(extent) {
    this.setPoints(new Float32Array(0), new Uint8Array(0), { plane: true });
    this.mx = (extent.x0 + extent.x1) / 2;
    this.my = (extent.y0 + extent.y1) / 2;
    this.applyExtent(extent);
    this.layerValid = false;
    this.schedule();
  }

  /**
   * Shows an image behind the points, stretched over the latent rectangle `extent` (its
   * row 0 at the top, y1); null removes it.
   * @param {{extent: {x0: number, x1: number, y0: number, y1: number}, width: number,
   *   height: number, rgba: Uint8ClampedArray} | null} image
   */
  setManifold(image) {
    if (image) {
      putPixels(this.manifold, image.rgba, image.width, image.height);
      this.manifoldExtent = image.extent;
    } else {
      this.manifoldExtent = null;
      delete this.canvas.dataset.manifold;
    }
    this.layerValid = false;
    this.schedule();
  }

  /**
   * Shows where a drawing on the pad landed: its posterior mean and, when `sx` and `sy` are
   * given (the VAE), the ellipse of one posterior standard deviation around it; null hides it.
   * @param {{x: number, y: number, sx: number|null, sy: number|null} | null} drawing
   */
  setDrawing(drawing) {
    this.drawing = drawing;
    if (drawing) this.canvas.dataset.drawing = [drawing.x, drawing.y, drawing.sx, drawing.sy].join(' ');
    else delete this.canvas.dataset.drawing;
    this.schedule();
  }

  /** Moves the marker without calling onMove: the caller already knows where it put it. */
  setMarker(x, y) {
    this.place(x, y);
    this.schedule();
  }

  marker() {
    return { x: this.mx, y: this.my };
  }

  /** Mean of the current points (the marker when there are none). */
  centroid() {
    let sx = 0;
    let sy = 0;
    let finite = 0;
    for (let i = 0; i < this.count(); i++) {
      const x = this.points[2 * i];
      const y = this.points[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      sx += x;
      sy += y;
      finite++;
    }
    return finite ? { x: sx / finite, y: sy / finite } : this.marker();
  }

  count() {
    return Math.min(this.points.length >> 1, this.labels.length);
  }

  listen() {
    const { canvas } = this;
    canvas.addEventListener('pointerdown', (e) => {
      if (this.drag || e.button !== 0) return;
      e.preventDefault(); // no text selection or touch scrolling while dragging
      canvas.focus({ preventScroll: true });
      const p = this.local(e);
      if (e.shiftKey || e.altKey || this.picking) {
        this.pick(this.nearest(p, e.pointerType === 'touch' ? TOUCH_PICK_RADIUS : PICK_RADIUS));
        return;
      }
      const m = this.toScreen(this.mx, this.my);
      // Grabbing the ring off-centre keeps that offset, so the marker does not jump.
      const onRing = Math.hypot(p.x - m.x, p.y - m.y) <= GRAB_RADIUS;
      this.drag = { id: e.pointerId, dx: onRing ? m.x - p.x : 0, dy: onRing ? m.y - p.y : 0 };
      canvas.setPointerCapture(e.pointerId);
      canvas.style.cursor = 'grabbing';
      this.userMove(this.toLatent(p.x + this.drag.dx, p.y + this.drag.dy));
    });
    canvas.addEventListener('pointermove', (e) => {
      const p = this.local(e);
      if (this.drag?.id === e.pointerId) {
        this.userMove(this.toLatent(p.x + this.drag.dx, p.y + this.drag.dy));
      } else if (!this.drag) {
        const m = this.toScreen(this.mx, this.my);
        canvas.style.cursor = Math.hypot(p.x - m.x, p.y - m.y) <= GRAB_RADIUS ? 'grab' : 'crosshair';
      }
    });
    const end = (e) => {
      if (this.drag?.id === e.pointerId) this.endDrag();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    canvas.addEventListener('lostpointercapture', end);

    this.pickButton?.addEventListener('click', () => this.setPicking(!this.picking));

    canvas.addEventListener('keydown', (e) => {
      if (e.key.toLowerCase() === 'i' && !e.repeat && !e.ctrlKey && !e.metaKey && !e.altKey) {
        this.pickRandomPair();
        return;
      }
      const direction = KEY_DIRECTIONS[e.key];
      if (!direction) return;
      e.preventDefault(); // arrow keys would otherwise scroll the page
      const { x0, x1, y0, y1 } = this.extent;
      const fraction = e.shiftKey ? 0.1 : 0.02;
      this.userMove({
        x: this.mx + direction[0] * fraction * (x1 - x0),
        y: this.my + direction[1] * fraction * (y1 - y0),
      });
    });
  }

  endDrag() {
    this.drag = null;
    this.canvas.style.cursor = 'grab';
    if (this.pendingExtent) {
      const { x, y } = this.marker();
      this.applyExtent(this.pendingExtent);
      this.pendingExtent = null;
      this.layerValid = false;
      // The new extent may have clamped the marker; the decoded image must follow it.
      if (this.mx !== x || this.my !== y) this.onMove(this.mx, this.my);
      this.schedule();
    }
  }

  /** The point nearest to the screen position p, if one is within `radius`; else -1. */
  nearest(p, radius) {
    let best = -1;
    let bestDistance = radius;
    for (let i = 0; i < this.count(); i++) {
      const q = this.toScreen(this.points[2 * i], this.points[2 * i + 1]);
      const distance = Math.hypot(q.x - p.x, q.y - p.y);
      if (distance <= bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }

  /** A click picks A; the next, on another digit, picks B and asks for the interpolation. */
  pick(i) {
    if (i < 0) return;
    if (this.picks.length === 1 && this.picks[0] !== i) {
      this.picks.push(i);
      this.picking = false;
      this.onInterpolate(this.picks[0], i);
    } else {
      this.picks = [i];
    }
    this.updatePickHint();
    this.schedule();
  }

  pickRandomPair() {
    const n = this.count();
    if (n < 2) return;
    const a = Math.floor(Math.random() * n);
    const b = (a + 1 + Math.floor(Math.random() * (n - 1))) % n; // any point but a
    this.picks = [a, b];
    this.picking = false;
    this.onInterpolate(a, b);
    this.updatePickHint();
    this.schedule();
  }

  /** Pressing Interpolate makes the next two taps or clicks pick digits instead of moving
   * the ring; pressing it again goes back to moving it. */
  setPicking(on) {
    this.picking = on;
    if (on || this.picks.length === 1) this.picks = [];
    this.updatePickHint();
    this.schedule();
  }

  /** The hints and the canvas's label, in the words of the device's primary pointer. */
  updateWording() {
    this.wording = COARSE.matches ? WORDING.touch : WORDING.keys;
    this.canvas.setAttribute('aria-label', this.plane ? this.wording.planeLabel : this.wording.label);
    if (this.hint) this.hint.textContent = this.wording.hint;
    this.updatePickHint();
  }

  updatePickHint() {
    this.pickButton?.setAttribute('aria-pressed', String(this.picking));
    if (!this.pickHint) return;
    if (this.picks.length === 1) {
      const label = this.labels[this.picks[0]];
      const next = this.picking ? 'now pick a second point' : this.wording.second;
      this.pickHint.textContent = `A: ${this.classes[label] ?? label} · ${next}`;
    } else {
      this.pickHint.textContent = this.picking ? 'pick a first point' : this.wording.pick;
    }
  }

  userMove({ x, y }) {
    this.movedByUser = true;
    this.place(x, y);
    this.onMove(this.mx, this.my);
    this.schedule();
  }

  place(x, y) {
    const { x0, x1, y0, y1 } = this.extent;
    this.mx = Math.min(x1, Math.max(x0, x));
    this.my = Math.min(y1, Math.max(y0, y));
  }

  applyExtent(extent) {
    this.extent = extent;
    this.place(this.mx, this.my);
    this.onExtent(extent);
  }

  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }

  plotBox() {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    return { left: PAD.left, top: PAD.top, width: w - PAD.left - PAD.right, height: h - PAD.top - PAD.bottom };
  }

  toLatent(px, py) {
    const { left, top, width, height } = this.plotBox();
    const { x0, x1, y0, y1 } = this.extent;
    return { x: x0 + ((px - left) / width) * (x1 - x0), y: y1 - ((py - top) / height) * (y1 - y0) };
  }

  toScreen(x, y) {
    const { left, top, width, height } = this.plotBox();
    const { x0, x1, y0, y1 } = this.extent;
    return { x: left + ((x - x0) / (x1 - x0)) * width, y: top + ((y1 - y) / (y1 - y0)) * height };
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    const { canvas, ctx, layer } = this;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (w > 0 && h > 0) {
      const dpr = window.devicePixelRatio || 1;
      const bw = Math.round(w * dpr);
      const bh = Math.round(h * dpr);
      if (canvas.width !== bw || canvas.height !== bh) {
        canvas.width = layer.width = bw;
        canvas.height = layer.height = bh;
        this.layerValid = false;
      }
      if (!this.layerValid) {
        this.paintLayer(dpr);
        this.layerValid = true;
      }
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, bw, bh);
      ctx.drawImage(layer, 0, 0);
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this.paintPicks();
      this.paintDrawing();
      this.paintMarker();
    }
    if (this.coords) this.coords.textContent = `z = (${this.mx.toFixed(2)}, ${this.my.toFixed(2)})`;
  }

  paintLayer(dpr) {
    const ctx = this.layer.getContext('2d');
    const box = this.plotBox();
    const { left, top, width, height } = box;
    const { x0, x1, y0, y1 } = this.extent;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, this.canvas.clientWidth, this.canvas.clientHeight);
    ctx.fillStyle = '#fbfcfd';
    ctx.fillRect(left, top, width, height);

    const xs = niceScale(x0, x1, Math.max(3, Math.floor(width / 70)), false, false);
    const ys = niceScale(y0, y1, Math.max(3, Math.floor(height / 60)), false, false);
    ctx.font = `11px ${FONT_FAMILY}`;
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#e9ecf0';
    ctx.fillStyle = '#4b5565';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    xs.ticks.forEach((t, i) => {
      const x = Math.round(left + ((t - x0) / (x1 - x0)) * width) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillText(xs.labels[i], x, top + height + 6);
    });
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ys.ticks.forEach((t, i) => {
      const y = Math.round(top + ((y1 - t) / (y1 - y0)) * height) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.fillText(ys.labels[i], left - 7, y);
    });
    if (this.manifoldExtent) this.paintManifold(ctx, box);
    ctx.strokeStyle = '#c5cad3';
    ctx.strokeRect(left + 0.5, top + 0.5, width - 1, height - 1);

    ctx.fillStyle = '#8a93a3';
    ctx.font = `italic 12px ${FONT_FAMILY}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText('z₁', left + width / 2, top + height + 32);
    ctx.save();
    ctx.translate(12, top + height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.fillText('z₂', 0, 0);
    ctx.restore();

    const n = this.count();
    this.canvas.dataset.points = String(n);
    if (n === 0) {
      if (this.plane) return; // nothing is coming: the plane has no points to show
      ctx.font = `13px ${FONT_FAMILY}`;
      ctx.textBaseline = 'middle';
      // Above the centre, where the marker starts.
      ctx.fillText('Waiting for the first latent scatter…', left + width / 2, top + height * 0.3);
      return;
    }

    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.globalAlpha = 0.75;
    const radius = n > 5000 ? 1.5 : 2;
    const sx = width / (x1 - x0);
    const sy = height / (y1 - y0);
    // Painting colour by colour is ~100x fewer fills than point by point, but would always
    // put digit 9 on top. Doing it in a few slices of the (shuffled) data order keeps the
    // overlap fair while staying cheap.
    const slices = 8;
    const sliceLength = Math.ceil(n / slices);
    for (let start = 0; start < n; start += sliceLength) {
      const end = Math.min(n, start + sliceLength);
      for (let digit = 0; digit < DIGIT_COLORS.length; digit++) {
        ctx.fillStyle = DIGIT_COLORS[digit];
        ctx.beginPath();
        for (let i = start; i < end; i++) {
          if (this.labels[i] !== digit) continue;
          const x = left + (this.points[2 * i] - x0) * sx;
          const y = top + (y1 - this.points[2 * i + 1]) * sy;
          ctx.moveTo(x + radius, y);
          ctx.arc(x, y, radius, 0, 2 * Math.PI);
        }
        ctx.fill();
      }
    }
    ctx.restore();
  }

  /** The manifold over the grid (its tiles would read as the grid otherwise), under the points. */
  paintManifold(ctx, { left, top, width, height }) {
    const { x0, x1, y0, y1 } = this.manifoldExtent;
    const topLeft = this.toScreen(x0, y1);
    const bottomRight = this.toScreen(x1, y0);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.globalAlpha = MANIFOLD_ALPHA;
    // Each digit's pixels stay crisp squares, as in the decoded image.
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.manifold, topLeft.x, topLeft.y, bottomRight.x - topLeft.x, bottomRight.y - topLeft.y);
    ctx.restore();
    this.canvas.dataset.manifold = 'drawn';
  }

  paintPicks() {
    const { ctx } = this;
    ctx.font = `bold 12px ${FONT_FAMILY}`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    this.picks.forEach((i, k) => {
      const { x, y } = this.toScreen(this.points[2 * i], this.points[2 * i + 1]);
      ctx.fillStyle = DIGIT_COLORS[this.labels[i]] ?? '#111827';
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fill();
      for (const [color, width] of [['rgba(255, 255, 255, 0.95)', 4], ['#111827', 1.75]]) {
        ctx.strokeStyle = color;
        ctx.lineWidth = width;
        ctx.beginPath();
        ctx.arc(x, y, 6.5, 0, 2 * Math.PI);
        ctx.stroke();
      }
      ctx.lineWidth = 3;
      ctx.strokeStyle = 'rgba(255, 255, 255, 0.95)';
      ctx.strokeText(PICK_NAMES[k], x + 7, y - 5);
      ctx.fillStyle = '#111827';
      ctx.fillText(PICK_NAMES[k], x + 7, y - 5);
    });
  }

  /** The drawing's mean as a diamond, inside its 1-sigma ellipse, both clipped to the plot. */
  paintDrawing() {
    if (!this.drawing) return;
    const { ctx } = this;
    const { x, y, sx, sy } = this.drawing;
    const c = this.toScreen(x, y);
    const { left, top, width, height } = this.plotBox();
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (sx !== null && sy !== null) {
      const { x0, x1, y0, y1 } = this.extent;
      const rx = Math.max(1, (sx / (x1 - x0)) * width);
      const ry = Math.max(1, (sy / (y1 - y0)) * height);
      ctx.beginPath();
      ctx.ellipse(c.x, c.y, rx, ry, 0, 0, 2 * Math.PI);
      ctx.fillStyle = 'rgba(17, 24, 39, 0.08)';
      ctx.fill();
      ctx.setLineDash([5, 4]);
      for (const [color, lineWidth] of [['rgba(255, 255, 255, 0.95)', 4], ['#111827', 1.75]]) {
        ctx.strokeStyle = color;
        ctx.lineWidth = lineWidth;
        ctx.stroke();
      }
      ctx.setLineDash([]);
    }
    const r = 7;
    ctx.beginPath();
    ctx.moveTo(c.x, c.y - r);
    ctx.lineTo(c.x + r, c.y);
    ctx.lineTo(c.x, c.y + r);
    ctx.lineTo(c.x - r, c.y);
    ctx.closePath();
    ctx.lineJoin = 'round';
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.95)';
    ctx.lineWidth = 4;
    ctx.stroke();
    ctx.fillStyle = '#111827';
    ctx.fill();
    ctx.restore();
  }

  paintMarker() {
    const { ctx } = this;
    const { x, y } = this.toScreen(this.mx, this.my);
    const arm = RING + 6;
    ctx.lineCap = 'round';
    // A white halo under a dark stroke keeps the marker visible over dots of any colour.
    for (const [color, width] of [['rgba(255, 255, 255, 0.95)', 5], ['#111827', 2]]) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.arc(x, y, RING, 0, 2 * Math.PI);
      ctx.moveTo(x - arm, y);
      ctx.lineTo(x - 3, y);
      ctx.moveTo(x + 3, y);
      ctx.lineTo(x + arm, y);
      ctx.moveTo(x, y - arm);
      ctx.lineTo(x, y - 3);
      ctx.moveTo(x, y + 3);
      ctx.lineTo(x, y + arm);
      ctx.stroke();
    }
  }
}

/** Bounding box of the points plus 5 % on each side; null when there are no points. */
function fitExtent(points, n) {
  if (n === 0) return null;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = points[2 * i];
    const y = points[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return null;
  const padX = (x1 - x0) * 0.05 || 1;
  const padY = (y1 - y0) * 0.05 || 1;
  return { x0: x0 - padX, x1: x1 + padX, y0: y0 - padY, y1: y1 + padY };
}

// One swatch per class; unlabelled data is drawn in the first colour, and said so.
function fillLegend(list, classes) {
  const names = classes.length ? classes : ['no labels given'];
  list.replaceChildren(
    ...names.map((name, label) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = DIGIT_COLORS[label];
      item.append(swatch, name);
      return item;
    }),
  );
}
