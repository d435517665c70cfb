// Draw to encode: a pad to draw a digit on with a mouse, a pen or a finger. While you draw, the
// worker's encoder places the drawing in the latent scatter (its mean and, for the VAE, the
// ellipse of its posterior's standard deviation), and the reconstruction and the nearest test
// digit show beside the pad.
//
// The encoder was trained on MNIST's digits, which were written large and then size-normalised:
// each fitted into a 20x20 box (keeping its aspect) and placed in a 28x28 field with its centre
// of mass at the centre. A drawing goes through the same preprocessing before it is encoded, so
// that where and how large it was drawn on the pad does not matter; the image the encoder is
// given is shown beside the pad.

import { drawPixels } from './images.js';

const SIDE = 28;
/** MNIST's box: the digit's larger side, ink included, spans this many of the 28 pixels. */
const BOX = 20;
/** The brush in pixels of the 28x28 image: an opaque core in a softer rim, close to the
 * width and grey edges of MNIST's strokes. */
const CORE = 2.2;
const RIM = 3.4;
const RIM_ALPHA = 0.45;
/** The 28x28 image is drawn this many times larger, then averaged down: anti-aliasing. */
const SUPERSAMPLE = 10;
/** The pad's own brush, as a fraction of its side. */
const PAD_BRUSH = 0.065;

/** A canvas to draw off screen (OffscreenCanvas where the browser has it). */
function offscreen(side) {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(side, side);
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = side;
  return canvas;
}

const stage = offscreen(SIDE * SUPERSAMPLE);
const stageContext = stage.getContext('2d', { willReadFrequently: true });

/** Strokes the polylines `strokes` (points in pad units, [0, 1] each way) through `map` onto
 * the stage, white on black, and averages them down to 28x28 values in [0, 1]. */
function render(strokes, map) {
  const ctx = stageContext;
  const size = SIDE * SUPERSAMPLE;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, size, size);
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#fff';
  for (const [width, alpha] of [[RIM, RIM_ALPHA], [CORE, 1]]) {
    ctx.globalAlpha = alpha;
    ctx.lineWidth = width * SUPERSAMPLE;
    ctx.beginPath();
    for (const stroke of strokes) {
      const points = stroke.map(map);
      ctx.moveTo(points[0].x * SUPERSAMPLE, points[0].y * SUPERSAMPLE);
      // A single point (a tap) still leaves a round dot.
      if (points.length === 1) ctx.lineTo(points[0].x * SUPERSAMPLE + 0.01, points[0].y * SUPERSAMPLE);
      for (const p of points.slice(1)) ctx.lineTo(p.x * SUPERSAMPLE, p.y * SUPERSAMPLE);
    }
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  const { data } = ctx.getImageData(0, 0, size, size);
  const pixels = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < size; y++) {
    const row = Math.floor(y / SUPERSAMPLE) * SIDE;
    for (let x = 0; x < size; x++) pixels[row + Math.floor(x / SUPERSAMPLE)] += data[4 * (y * size + x)];
  }
  const scale = 1 / (255 * SUPERSAMPLE * SUPERSAMPLE);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, pixels[i] * scale);
  return pixels;
}

/** The centre of mass of a 28x28 image, in pixels from its top left corner. */
function centreOfMass(pixels) {
  let mass = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < pixels.length; i++) {
    mass += pixels[i];
    sx += pixels[i] * ((i % SIDE) + 0.5);
    sy += pixels[i] * (Math.floor(i / SIDE) + 0.5);
  }
  return mass > 0 ? { x: sx / mass, y: sy / mass } : { x: SIDE / 2, y: SIDE / 2 };
}

/**
 * The 28x28 image (784 values in [0, 1], row-major) that strokes drawn on the pad become, by
 * MNIST's preprocessing: the drawing's bounding box scaled to fit 20x20 with the brush's
 * width, then moved so that its centre of mass is at the centre.
 * @param {{x: number, y: number}[][]} strokes polylines in pad units ([0, 1] each way)
 */
export function rasterize(strokes) {
  const all = strokes.flat();
  if (all.length === 0) return new Float32Array(SIDE * SIDE);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // A dot or a straight stroke has no extent along one axis: the other sets the scale.
  const extent = Math.max(x1 - x0, y1 - y0, 1e-6);
  const scale = (BOX - RIM) / extent;
  const centred = (dx, dy) => (p) => ({ x: (p.x - (x0 + x1) / 2) * scale + SIDE / 2 + dx, y: (p.y - (y0 + y1) / 2) * scale + SIDE / 2 + dy });
  const mass = centreOfMass(render(strokes, centred(0, 0)));
  return render(strokes, centred(SIDE / 2 - mass.x, SIDE / 2 - mass.y));
}

/** Gray values in [0, 1] as RGBA bytes, white on black as the model's images are shown. */
function grayToRgba(pixels) {
  const rgba = new Uint8ClampedArray(pixels.length * 4);
  pixels.forEach((v, i) => {
    rgba.fill(Math.round(v * 255), 4 * i, 4 * i + 3);
    rgba[4 * i + 3] = 255;
  });
  return rgba;
}

/** The drawing pad: polylines drawn with pointer events (mouse, pen and touch alike). */
export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas sized by CSS, with `touch-action: none`
   * @param {() => void} onChange called after each change of the drawing
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    /** @type {{x: number, y: number}[][]} */
    this.strokes = [];
    this.pointer = null;
    this.frame = 0;
    this.listen();
    new ResizeObserver(() => this.schedule()).observe(canvas);
  }

  get empty() {
    return this.strokes.length === 0;
  }

  clear() {
    this.strokes = [];
    this.pointer = null;
    this.schedule();
    this.onChange();
  }

  /** Where a pointer event is, in pad units. */
  local(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) / r.width, y: (e.clientY - r.top) / r.height };
  }

  listen() {
    const { canvas } = this;
    canvas.addEventListener('pointerdown', (e) => {
      if (this.pointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
      e.preventDefault(); // no text selection, no scrolling under a finger
      canvas.setPointerCapture(e.pointerId);
      this.pointer = e.pointerId;
      this.strokes.push([this.local(e)]);
      this.changed();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (e.pointerId !== this.pointer) return;
      // The moves the browser merged into this event, so that a fast stroke stays smooth.
      const events = e.getCoalescedEvents?.() ?? [];
      const stroke = this.strokes.at(-1);
      for (const event of events.length ? events : [e]) stroke.push(this.local(event));
      this.changed();
    });
    const end = (e) => {
      if (e.pointerId === this.pointer) this.pointer = null;
    };
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, end);
  }

  changed() {
    this.schedule();
    this.onChange();
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  render() {
    this.frame = 0;
    const { canvas } = this;
    const w = canvas.clientWidth;
    if (w === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const side = Math.round(w * dpr);
    if (canvas.width !== side || canvas.height !== side) canvas.width = canvas.height = side;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, side, side);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = PAD_BRUSH * side;
    ctx.beginPath();
    for (const stroke of this.strokes) {
      ctx.moveTo(stroke[0].x * side, stroke[0].y * side);
      if (stroke.length === 1) ctx.lineTo(stroke[0].x * side + 0.01, stroke[0].y * side);
      for (const p of stroke.slice(1)) ctx.lineTo(p.x * side, p.y * side);
    }
    ctx.stroke();
    canvas.dataset.strokes = String(this.strokes.length);
  }
}

/**
 * The pad with what the worker makes of it: each drawing goes to the worker as an `encode`
 * message, one at a time (while one is in flight only the newest drawing waits, so a fast
 * stroke never builds a queue), and each `encoded` answer is shown in the scatter and beside
 * the pad.
 */
export class DrawToEncode {
  /**
   * @param {{pad: HTMLCanvasElement, clear: HTMLButtonElement, input: HTMLCanvasElement,
   *   recon: HTMLCanvasElement, nearest: HTMLCanvasElement, nearestCaption: HTMLElement,
   *   caption: HTMLElement, latent: import('./latent.js').LatentView,
   *   send: (message: object, transfer?: Transferable[]) => void}} options
   */
  constructor({ pad, clear, input, recon, nearest, nearestCaption, caption, latent, send }) {
    Object.assign(this, { input, recon, nearest, nearestCaption, caption, latent, send });
    this.pad = new DrawPad(pad, () => this.drawn());
    clear.addEventListener('click', () => this.pad.clear());
    // Each change of the drawing is a new version; the pad's data attributes say which
    // version was sent and which one the shown answer is of.
    this.version = 0;
    this.inFlight = false;
    this.waiting = false;
    this.frame = 0;
    this.forget();
  }

  /** The drawing changed: encode it at the next animation frame (or when the worker is free). */
  drawn() {
    this.version++;
    this.pad.canvas.dataset.version = String(this.version);
    if (this.pad.empty) {
      this.forget();
      return;
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.request();
    });
  }

  /** The model changed (it trained on, or another one started): the drawing is encoded anew. */
  refresh() {
    if (!this.pad.empty) this.request();
  }

  /** A new model: nothing shown is of it, and an encode sent to the old one may never come back. */
  reset() {
    this.inFlight = false;
    this.forget(this.pad.empty ? undefined : 'encoding your drawing…');
  }

  request() {
    if (this.inFlight) {
      this.waiting = true;
      return;
    }
    const pixels = rasterize(this.pad.strokes);
    drawPixels(this.input, grayToRgba(pixels), SIDE, SIDE);
    this.inFlight = true;
    this.pad.canvas.dataset.sent = String(this.version);
    this.sentVersion = this.version;
    this.send({ type: 'encode', pixels }, [pixels.buffer]);
  }

  /** The worker's answer (`encoding` null when it had none to give, or failed). */
  show({ encoding }) {
    this.inFlight = false;
    if (encoding && !this.pad.empty) {
      const { mean: [x, y], std, side, recon, nearest } = encoding;
      this.latent.setDrawing({ x, y, sx: std?.[0] ?? null, sy: std?.[1] ?? null });
      drawPixels(this.recon, recon, side, side);
      drawPixels(this.nearest, nearest.rgba, side, side);
      const name = nearest.label === null ? '' : ` (${this.latent.classes[nearest.label] ?? nearest.label})`;
      this.nearestCaption.textContent = `nearest test image${name}`;
      const spread = std ? ` ± (${std[0].toFixed(2)}, ${std[1].toFixed(2)})` : '';
      this.caption.textContent = `your drawing lands at z = (${x.toFixed(2)}, ${y.toFixed(2)})${spread}`;
      this.pad.canvas.dataset.shown = String(this.sentVersion);
    }
    if (this.waiting) {
      this.waiting = false;
      this.request();
    }
  }

  /** A request failed: the worker will not answer it. */
  failed() {
    this.inFlight = false;
    this.waiting = false;
  }

  /** Nothing encoded is shown: a cleared pad, or a new model. */
  forget(caption = 'draw a digit on the pad: the encoder places it in the scatter') {
    const blank = grayToRgba(new Float32Array(SIDE * SIDE));
    for (const canvas of [this.input, this.recon, this.nearest]) drawPixels(canvas, blank, SIDE, SIDE);
    this.latent.setDrawing(null);
    this.nearestCaption.textContent = 'nearest test image';
    this.caption.textContent = caption;
    delete this.pad.canvas.dataset.shown;
  }
}
