// Plays an interpolation the worker decoded between two digits: its frames one after another
// in the decoded image while the latent marker walks the path, and all of them as a film strip.

import { drawImageRows } from './images.js';

// Long enough to watch one digit turn into the other, short enough not to wait for it.
const DURATION_MS = 1500;

export class InterpolationPlayer {
  /**
   * @param {{strip: HTMLCanvasElement, latent: import('./latent.js').LatentView,
   *   show: (decoded: {x: number, y: number, width: number, height: number, rgba: Uint8ClampedArray}) => void}} options
   *   show draws one decoded image, as for a decode the user asked for.
   */
  constructor({ strip, latent, show }) {
    this.strip = strip;
    this.latent = latent;
    this.show = show;
    this.shown = null; // the interpolation in the strip, with its row label
    this.frame = 0;
    new ResizeObserver(() => this.drawStrip()).observe(strip);
  }

  /** While true the decoded image and the marker are the animation's. */
  get playing() {
    return this.frame !== 0;
  }

  /** @param {{from: number, to: number, frames: number, points: Float32Array, width: number,
   *   height: number, rgba: Uint8ClampedArray}} interpolation */
  play(interpolation) {
    this.stop();
    const { from, to, frames, points, width, height, rgba } = interpolation;
    const { labels } = this.latent;
    this.shown = { ...interpolation, label: `Interpolation ${labels[from]} → ${labels[to]}` };
    this.strip.hidden = false;
    this.drawStrip();
    // The path, and then the end point, is where the user sent the marker.
    this.latent.movedByUser = true;
    const size = width * height * 4;
    const start = performance.now();
    let shownFrame = -1;
    const tick = (now) => {
      const k = Math.min(frames - 1, Math.round(((now - start) / DURATION_MS) * (frames - 1)));
      if (k !== shownFrame) {
        shownFrame = k;
        const x = points[2 * k];
        const y = points[2 * k + 1];
        this.latent.setMarker(x, y);
        this.show({ x, y, width, height, rgba: rgba.subarray(k * size, (k + 1) * size) });
      }
      this.frame = k < frames - 1 ? requestAnimationFrame(tick) : 0;
    };
    this.frame = requestAnimationFrame(tick);
  }

  /** Leaves the marker and image at the frame reached: the user has taken over. */
  stop() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
  }

  /** The model changed: its interpolation no longer applies. */
  clear() {
    this.stop();
    this.shown = null;
    this.strip.hidden = true;
  }

  drawStrip() {
    if (!this.shown) return;
    const { frames, width, height, rgba, label } = this.shown;
    drawImageRows(this.strip, { count: frames, width, height, rows: [{ label, pixels: rgba }] });
  }
}
