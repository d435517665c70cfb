// The GAN views: the generator and critic loss chart, the sample grid with a timeline of
// earlier snapshots (what the reference showed as a GIF), and the quality meters.

import { LineChart } from './charts.js';
import { drawPixels } from './images.js';
import { integer } from './util.js';

// Weight of the newest step in the moving average (see curves.js): GAN losses are noisier
// than an autoencoder's, so the raw values are drawn faintly under the average.
const ALPHA = 0.05;
const CRITIC = '#e8590c';
const CRITIC_FAINT = 'rgba(232, 89, 12, 0.2)';
const GENERATOR = '#2563eb';
const GENERATOR_FAINT = 'rgba(37, 99, 235, 0.2)';
// Snapshots kept for the timeline; when full, every other one goes, so the timeline always
// spans the whole run at a coarser grain.
const MAX_SNAPSHOTS = 120;

const smooth = (previous, value) =>
  previous === null || !Number.isFinite(previous) || !Number.isFinite(value) ? value : previous + ALPHA * (value - previous);
const format = (v) => (v === null ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

export class GanCurves {
  constructor(canvas, readout) {
    this.canvas = canvas;
    this.readout = readout;
    this.chart = null;
    this.setModel({ wasserstein: false });
  }

  /** The WGAN's critic loss is shown as what it estimates: minus it is the Wasserstein distance. */
  setModel({ wasserstein }) {
    this.wasserstein = wasserstein;
    const critic = this.wasserstein ? 'Wasserstein estimate (−critic loss)' : 'discriminator loss';
    this.names = { critic, generator: 'generator loss' };
    this.chart = new LineChart(this.canvas, {
      title: this.wasserstein
        ? "The critic's estimate of the Wasserstein distance and the generator loss by step"
        : 'Discriminator and generator loss (binary cross-entropy) by step',
      yLabel: this.wasserstein ? 'value' : 'loss',
      series: [
        { name: `${critic} (raw)`, color: CRITIC_FAINT, lineWidth: 1, fitY: false },
        { name: `${this.names.generator} (raw)`, color: GENERATOR_FAINT, lineWidth: 1, fitY: false },
        { name: critic, color: CRITIC, lineWidth: 2 },
        { name: this.names.generator, color: GENERATOR, lineWidth: 2 },
      ],
    });
    this.clear();
  }

  clear() {
    this.chart.reset();
    this.lastStep = -Infinity;
    this.critic = null;
    this.generator = null;
    this.updateReadout();
  }

  /** A run rolled back to `step`: what came after goes, and the averages start over. */
  truncate(step) {
    this.chart.truncate(step);
    this.lastStep = step;
    this.critic = null;
    this.generator = null;
    this.updateReadout();
  }

  add({ firstStep, criticLosses, generatorLosses }) {
    const sign = this.wasserstein ? -1 : 1;
    for (let i = 0; i < criticLosses.length; i++) {
      const step = firstStep + i;
      if (step <= this.lastStep) continue;
      this.lastStep = step;
      const c = sign * criticLosses[i];
      const g = generatorLosses[i];
      this.critic = smooth(this.critic, c);
      this.generator = smooth(this.generator, g);
      this.chart.addPoint(`${this.names.critic} (raw)`, step, c);
      this.chart.addPoint(`${this.names.generator} (raw)`, step, g);
      this.chart.addPoint(this.names.critic, step, this.critic);
      this.chart.addPoint(this.names.generator, step, this.generator);
    }
    this.updateReadout();
  }

  draw() {
    this.chart.draw();
  }

  updateReadout() {
    this.readout.textContent = `${this.names.critic} ${format(this.critic)} · ${this.names.generator} ${format(this.generator)} (smoothed)`;
  }
}

/**
 * The sample grid and the timeline slider to scrub back through earlier grids, with real
 * training images beside it. Each snapshot carries the meters measured with it, if any;
 * `onShow(snapshot)` is called with the one drawn, so that the meters shown are always those
 * of the step under the grid.
 */
export class SampleTimeline {
  constructor({ canvas, realCanvas, slider, caption, onShow }) {
    this.canvas = canvas;
    this.realCanvas = realCanvas;
    // What the real grid is called until its images arrive and say how many there are.
    this.realLabel = realCanvas.getAttribute('aria-label');
    this.slider = slider;
    this.caption = caption;
    this.onShow = onShow;
    this.snapshots = [];
    // Follows the newest snapshot until the user scrubs back; scrubbing to the end follows again.
    this.following = true;
    slider.addEventListener('input', () => {
      this.following = Number(slider.value) === this.snapshots.length - 1;
      this.draw();
    });
    this.clear();
  }

  clear() {
    this.snapshots = [];
    this.real = null;
    this.following = true;
    this.sync();
    for (const canvas of [this.canvas, this.realCanvas]) canvas.getContext('2d').clearRect(0, 0, canvas.width, canvas.height);
    this.realCanvas.setAttribute('aria-label', this.realLabel);
    this.caption.textContent = 'samples appear once the model is ready';
  }

  /** Real training images of `side` x `side` pixels, tiled as the samples are. */
  setReal({ width, height, rgba }, side) {
    this.real = { width, height, rgba };
    const count = (width / side) * (height / side);
    this.realCanvas.setAttribute('aria-label', `${integer(count)} real training images of ${side} x ${side} pixels, as many and as large as the generated ones`);
    this.draw();
  }

  add(snapshot) {
    if (this.snapshots.length >= MAX_SNAPSHOTS) this.snapshots = this.snapshots.filter((_, i) => i % 2 === 1);
    this.snapshots.push(snapshot);
    this.sync();
    this.draw();
  }

  sync() {
    const last = Math.max(0, this.snapshots.length - 1);
    this.slider.max = String(last);
    if (this.following) this.slider.value = String(last);
    this.slider.disabled = this.snapshots.length < 2;
  }

  draw() {
    // Redrawn with every snapshot: a grid that arrived while the card was hidden has no size.
    if (this.real) drawPixels(this.realCanvas, this.real.rgba, this.real.width, this.real.height);
    const shot = this.snapshots[Number(this.slider.value)];
    if (!shot) return;
    drawPixels(this.canvas, shot.rgba, shot.width, shot.height);
    const where = this.following ? 'latest' : `snapshot ${integer(Number(this.slider.value) + 1)} of ${integer(this.snapshots.length)}`;
    this.caption.textContent = `${shot.count} samples from fixed noise at step ${integer(shot.step)} (${where})`;
    this.onShow(shot);
  }
}

/**
 * Fills `element` with one bar per count, as tall as its share of the largest, labelled
 * `labels[i]` and titled `title(count, i)`.
 */
function drawBars(element, counts, labels, title) {
  const most = Math.max(1, ...counts);
  element.replaceChildren(...counts.map((n, i) => {
    const bar = document.createElement('span');
    bar.className = 'bar';
    bar.title = title(n, i);
    const fill = document.createElement('i');
    fill.style.height = `${(100 * n) / most}%`;
    bar.append(fill, labels[i]);
    return bar;
  }));
}

// The bins of a degree histogram (src/metrics/poly.rs `image_degree`): degrees 0 to 4, then the
// images no polynomial of degree 4 fits.
const DEGREE_LABELS = ['0', '1', '2', '3', '4', '>4'];
const degreeName = (i) => (i < DEGREE_LABELS.length - 1 ? `degree ${i}` : 'no degree up to 4');

/** Draws one degree histogram and says its counts in its accessible label. */
function showDegrees(element, counts, whose) {
  drawBars(element, counts, DEGREE_LABELS, (n, i) => `${integer(n)} ${whose} of ${degreeName(i)}`);
  const parts = counts.map((n, i) => `${DEGREE_LABELS[i]}: ${integer(n)}`);
  element.setAttribute('aria-label', `${whose} by the smallest polynomial degree that fits their rows, ${parts.join(', ')}`);
}

/**
 * The quality meters beside the real data's figures: smoothness, diversity and degrees for
 * the polynomial GANs, the frozen classifier's verdict for the MNIST DCGAN.
 */
export function showMeters(meters, elements, classes = []) {
  const f = (v, digits) => (v === null || v === undefined ? '—' : v.toFixed(digits));
  if (meters.histogram) {
    elements.confidence.textContent = f(meters.confidence, 2);
    elements.realConfidence.textContent = f(meters.realConfidence, 2);
    elements.covered.textContent = String(meters.covered);
    elements.realCovered.textContent = String(meters.realCovered);
    elements.frechet.textContent = f(meters.frechet, 1);
    elements.realFrechet.textContent = f(meters.realFrechet, 1);
    // The judge has ten outputs; data of fewer classes uses the first ones.
    const shown = meters.histogram.slice(0, classes.length || meters.histogram.length);
    elements.classes.textContent = String(shown.length);
    drawBars(elements.histogram, shown, shown.map((_, label) => String(label)),
      (n, label) => `${integer(n)} samples look like ${classes[label] ?? `a ${label}`}`);
    elements.digitList.hidden = false;
  } else {
    elements.smoothness.textContent = f(meters.smoothness, 3);
    elements.realSmoothness.textContent = f(meters.realSmoothness, 4);
    elements.diversity.textContent = f(meters.diversity, 2);
    elements.degreeDistance.textContent = f(meters.degreeDistance, 2);
    showDegrees(elements.degrees, meters.degrees, 'samples');
    showDegrees(elements.realDegrees, meters.realDegrees, 'real images');
    elements.list.hidden = false;
  }
  elements.note.textContent = `${integer(meters.count)} samples at step ${integer(meters.step)}`;
}
