// Loss and accuracy curves: smoothing of the per-step values, the two charts and their readouts.

import { LineChart } from './charts.js';

// Weight of the newest step in the moving average: it averages over roughly the last
// 20 batches, enough to see the trend through minibatch noise without lagging far behind.
const ALPHA = 0.05;

const TRAIN = '#2563eb';
const TRAIN_FAINT = 'rgba(37, 99, 235, 0.22)';
const TEST = '#e8590c';
const EPOCH = '#7c3aed';
const EPOCH_SERIES = 'test (10,000, end of epoch)';

const integer = (n) => Math.round(n).toLocaleString('en-US');
const formatLoss = (v) => (Number.isFinite(v) && Math.abs(v) < 1e-3 && v !== 0 ? v.toPrecision(3) : v.toFixed(4));
const formatPercent = (v) => `${(v * 100).toFixed(1)} %`;

// A non-finite value (a diverged run) restarts the average, so the readout shows NaN
// while it lasts instead of hiding it behind the last finite value.
const smooth = (previous, value) =>
  previous === null || !Number.isFinite(previous) || !Number.isFinite(value)
    ? value
    : previous + ALPHA * (value - previous);

export class TrainingCurves {
  constructor({ lossCanvas, lossReadout, logToggle, accCard, accCanvas, accReadout, epochTable }) {
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
    this.accReadout = accReadout;
    this.accCard = accCard;
    this.epochTable = epochTable;
    this.testTotal = null;
    logToggle.addEventListener('change', () => {
      this.lossChart.setLogY(logToggle.checked);
      this.lossChart.draw();
    });
    this.clear();
  }

  clear() {
    this.lossChart.reset();
    this.accChart.reset();
    this.lastStep = -Infinity;
    this.trainLoss = null;
    this.trainAccuracy = null;
    this.test = null;
    this.accCard.hidden = true;
    this.epochTable.tBodies[0].replaceChildren();
    this.epochTable.hidden = true;
    this.updateReadouts();
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

  addMetrics({ firstStep, losses, accuracies }) {
    for (let i = 0; i < losses.length; i++) {
      const step = firstStep + i;
      // A repeated step (e.g. a message re-sent around a pause) would fold the line back on itself.
      if (step <= this.lastStep) continue;
      this.lastStep = step;
      this.trainLoss = smooth(this.trainLoss, losses[i]);
      this.lossChart.addPoint('train (raw)', step, losses[i]);
      this.lossChart.addPoint('train (smoothed)', step, this.trainLoss);
      if (accuracies && i < accuracies.length) {
        this.trainAccuracy = smooth(this.trainAccuracy, accuracies[i]);
        this.accChart.addPoint('train (smoothed)', step, this.trainAccuracy * 100);
        this.accCard.hidden = false;
      }
    }
    this.updateReadouts();
  }

  addEval({ step, epoch, loss, mse, accuracy, count }) {
    // Evaluations of the whole test set come at the end of each epoch: the figures the
    // reference reports, so they get their own markers and a row in the results table.
    if (epoch !== undefined) {
      this.lossChart.addPoint(EPOCH_SERIES, step, loss);
      if (accuracy !== null && accuracy !== undefined) this.accChart.addPoint(EPOCH_SERIES, step, accuracy * 100);
      this.addEpochRow({ epoch, step, loss, mse, accuracy, count });
      return;
    }
    this.test = { step, loss, accuracy };
    this.setEvalScope(count);
    this.lossChart.addPoint('test', step, loss);
    if (accuracy !== null && accuracy !== undefined) {
      this.accChart.addPoint('test', step, accuracy * 100);
      this.accCard.hidden = false;
    }
    this.updateReadouts();
  }

  addEpochRow({ epoch, step, loss, mse, accuracy, count }) {
    const row = this.epochTable.tBodies[0].insertRow();
    row.dataset.epoch = String(epoch);
    const cells = [integer(epoch), integer(step), formatLoss(loss), formatLoss(mse),
      accuracy === null || accuracy === undefined ? '—' : formatPercent(accuracy), integer(count)];
    for (const text of cells) row.insertCell().textContent = text;
    this.epochTable.hidden = false;
  }

  draw() {
    this.lossChart.draw();
    this.accChart.draw();
  }

  updateReadouts() {
    const { trainLoss, trainAccuracy, test } = this;
    const testStep = test ? ` (step ${integer(test.step)})` : '';
    this.lossReadout.textContent =
      `train loss ${trainLoss === null ? '—' : formatLoss(trainLoss)} · ` +
      `test loss ${test ? formatLoss(test.loss) : '—'}${testStep}`;
    const testAccuracy = test?.accuracy ?? null;
    this.accReadout.textContent =
      `train accuracy ${trainAccuracy === null ? '—' : formatPercent(trainAccuracy)} · ` +
      `test accuracy ${testAccuracy === null ? '—' : formatPercent(testAccuracy)}${testAccuracy === null ? '' : testStep}`;
  }
}
