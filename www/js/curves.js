// Loss, loss-part and accuracy curves: smoothing of the per-step values, the charts, their
// readouts and the per-epoch results table.

import { LineChart } from './charts.js';
import { integer } from './util.js';

// Weight of the newest step in the moving average: it averages over roughly the last
// 20 batches, enough to see the trend through minibatch noise without lagging far behind.
const ALPHA = 0.05;

const TRAIN = '#2563eb';
const TRAIN_FAINT = 'rgba(37, 99, 235, 0.22)';
const TEST = '#e8590c';
const EPOCH = '#7c3aed';
const EPOCH_SERIES = 'test (whole set, end of epoch)';
const RECON = '#2563eb';
const KL = '#0f8a5f';

const formatLoss = (v) => (Number.isFinite(v) && Math.abs(v) < 1e-3 && v !== 0 ? v.toPrecision(3) : v.toFixed(4));
const formatPercent = (v) => `${(v * 100).toFixed(1)} %`;
const formatPart = (v) => (v === null ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

// A non-finite value (a diverged run) restarts the average, so the readout shows NaN
// while it lasts instead of hiding it behind the last finite value.
const smooth = (previous, value) =>
  previous === null || !Number.isFinite(previous) || !Number.isFinite(value)
    ? value
    : previous + ALPHA * (value - previous);

export class TrainingCurves {
  constructor({
    lossCanvas, lossReadout, logToggle, partsCard, partsCanvas, partsReadout, partsLogToggle,
    accCard, accCanvas, accReadout, epochTable,
  }) {
    this.lossChart = new LineChart(lossCanvas, {
      title: 'Training and test loss by training step',
      yLabel: 'loss',
      // Raw first so the smoothed line is drawn over it; the raw line may not stretch
      // the y axis, or a few noisy batches would flatten the curve that matters.
      series: [
        { name: 'train (raw)', color: TRAIN_FAINT, lineWidth: 1, fitY: false },
        { name: 'train (smoothed)', color: TRAIN, lineWidth: 2 },
        { name: 'test', color: TEST, lineWidth: 1.5, points: true },
        { name: EPOCH_SERIES, color: EPOCH, line: false, points: true },
      ],
    });
    // The reconstruction term runs several times the KL term and both move most in the first
    // steps, so a log axis (the default) keeps both readable on one chart.
    this.partsChart = new LineChart(partsCanvas, {
      title: 'Reconstruction and KL terms of the VAE loss by training step',
      yLabel: 'loss term',
      logY: partsLogToggle.checked,
      series: [
        { name: 'reconstruction, train (smoothed)', color: RECON, lineWidth: 2 },
        { name: 'reconstruction, test', color: RECON, line: false, points: true },
        { name: 'KL, train (smoothed)', color: KL, lineWidth: 2 },
        { name: 'KL, test', color: KL, line: false, points: true },
      ],
    });
    this.accChart = new LineChart(accCanvas, {
      title: 'Latent classifier accuracy by training step, in percent',
      yLabel: 'accuracy (%)',
      yMax: 100,
      series: [
        { name: 'train (smoothed)', color: TRAIN, lineWidth: 2 },
        { name: 'test', color: TEST, lineWidth: 1.5, points: true },
        { name: EPOCH_SERIES, color: EPOCH, line: false, points: true },
      ],
    });
    this.lossReadout = lossReadout;
    this.partsCard = partsCard;
    this.partsReadout = partsReadout;
    this.accReadout = accReadout;
    this.accCard = accCard;
    this.epochTable = epochTable;
    this.testTotal = null;
    logToggle.addEventListener('change', () => {
      this.lossChart.setLogY(logToggle.checked);
      this.lossChart.draw();
    });
    partsLogToggle.addEventListener('change', () => {
      this.partsChart.setLogY(partsLogToggle.checked);
      this.partsChart.draw();
    });
    this.clear();
  }

  clear() {
    this.lossChart.reset();
    this.partsChart.reset();
    this.accChart.reset();
    this.lastStep = -Infinity;
    this.trainLoss = null;
    this.trainRecon = null;
    this.trainKl = null;
    this.trainAccuracy = null;
    this.test = null;
    this.accCard.hidden = true;
    this.epochTable.tBodies[0].replaceChildren();
    this.epochTable.hidden = true;
    this.updateReadouts();
  }

  /** A run rolled back to `step`: what came after goes, and the averages start over. */
  truncate(step) {
    for (const chart of [this.lossChart, this.partsChart, this.accChart]) chart.truncate(step);
    this.lastStep = step;
    this.trainLoss = this.trainRecon = this.trainKl = this.trainAccuracy = null;
    this.updateReadouts();
  }

  /** Shows what the model has: the loss parts and the KL column for a VAE, accuracy for a classifier. */
  setModel({ variational, classifier, imageSide }) {
    // The VAE's reconstruction term is the squared error summed over an image's pixels.
    this.pixels = imageSide * imageSide;
    this.partsCard.hidden = !variational;
    this.epochTable.classList.toggle('with-kl', variational);
    this.epochTable.classList.toggle('with-accuracy', classifier);
  }

  /** Names the test series after how many test images an evaluation covers. */
  setEvalScope(count, testTotal = this.testTotal) {
    this.testTotal = testTotal ?? null;
    if (!(count > 0)) return;
    const label = this.testTotal !== null && count < this.testTotal
      ? `test (${integer(count)}-image subset)`
      : `test (${integer(count)})`;
    this.lossChart.setLabel('test', label);
    this.accChart.setLabel('test', label);
  }

  addMetrics({ firstStep, losses, mses, kls, accuracies }) {
    for (let i = 0; i < losses.length; i++) {
      const step = firstStep + i;
      // A repeated step (e.g. a message re-sent around a pause) would fold the line back on itself.
      if (step <= this.lastStep) continue;
      this.lastStep = step;
      this.trainLoss = smooth(this.trainLoss, losses[i]);
      this.lossChart.addPoint('train (raw)', step, losses[i]);
      this.lossChart.addPoint('train (smoothed)', step, this.trainLoss);
      if (kls && i < kls.length) {
        this.trainRecon = smooth(this.trainRecon, this.pixels * mses[i]);
        this.trainKl = smooth(this.trainKl, kls[i]);
        this.partsChart.addPoint('reconstruction, train (smoothed)', step, this.trainRecon);
        this.partsChart.addPoint('KL, train (smoothed)', step, this.trainKl);
      }
      if (accuracies && i < accuracies.length) {
        this.trainAccuracy = smooth(this.trainAccuracy, accuracies[i]);
        this.accChart.addPoint('train (smoothed)', step, this.trainAccuracy * 100);
        this.accCard.hidden = false;
      }
    }
    this.updateReadouts();
  }

  addEval({ step, epoch, loss, mse, kl, accuracy, count }) {
    // Evaluations of the whole test set come at the end of each epoch: the figures the
    // reference reports, so they get their own markers and a row in the results table.
    if (epoch !== undefined) {
      this.lossChart.addPoint(EPOCH_SERIES, step, loss);
      if (accuracy !== null && accuracy !== undefined) this.accChart.addPoint(EPOCH_SERIES, step, accuracy * 100);
      this.addEpochRow({ epoch, step, loss, mse, kl, accuracy, count });
      return;
    }
    const parts = kl === null || kl === undefined ? null : { recon: this.pixels * mse, kl };
    this.test = { step, loss, accuracy, parts };
    this.setEvalScope(count);
    this.lossChart.addPoint('test', step, loss);
    if (parts) {
      this.partsChart.addPoint('reconstruction, test', step, parts.recon);
      this.partsChart.addPoint('KL, test', step, parts.kl);
    }
    if (accuracy !== null && accuracy !== undefined) {
      this.accChart.addPoint('test', step, accuracy * 100);
      this.accCard.hidden = false;
    }
    this.updateReadouts();
  }

  addEpochRow({ epoch, step, loss, mse, kl, accuracy, count }) {
    const row = this.epochTable.tBodies[0].insertRow();
    row.dataset.epoch = String(epoch);
    const missing = (v) => v === null || v === undefined;
    // The class names the column, which setModel shows or hides as a whole.
    const cells = [
      [integer(epoch)], [integer(step)], [formatLoss(loss)], [formatLoss(mse)],
      [missing(kl) ? '—' : formatLoss(kl), 'col-kl'],
      [missing(accuracy) ? '—' : formatPercent(accuracy), 'col-accuracy'],
      [integer(count)],
    ];
    for (const [text, column] of cells) {
      const cell = row.insertCell();
      cell.textContent = text;
      if (column) cell.className = column;
    }
    this.epochTable.hidden = false;
  }

  draw() {
    this.lossChart.draw();
    this.partsChart.draw();
    this.accChart.draw();
  }

  updateReadouts() {
    const { trainLoss, trainRecon, trainKl, trainAccuracy, test } = this;
    const testStep = test ? ` (step ${integer(test.step)})` : '';
    this.lossReadout.textContent =
      `train loss ${trainLoss === null ? '—' : formatLoss(trainLoss)} · ` +
      `test loss ${test ? formatLoss(test.loss) : '—'}${testStep}`;
    const testParts = test?.parts ?? null;
    this.partsReadout.textContent =
      `reconstruction ${formatPart(trainRecon)} · KL ${formatPart(trainKl)} (train) · ` +
      `test ${formatPart(testParts?.recon ?? null)} · ${formatPart(testParts?.kl ?? null)}`;
    const testAccuracy = test?.accuracy ?? null;
    this.accReadout.textContent =
      `train accuracy ${trainAccuracy === null ? '—' : formatPercent(trainAccuracy)} · ` +
      `test accuracy ${testAccuracy === null ? '—' : formatPercent(testAccuracy)}${testAccuracy === null ? '' : testStep}`;
  }
}
