// The header's status line (backend, speed, epoch, step, data loading) and the error banner.

import { $, integer } from './util.js';

const megabytes = (bytes) => (bytes / 1e6).toFixed(1);

// The header names the backend in the few words the session gives it (`phrase`); the label
// and the reason (which name adapters and link options) are one tap away.
export class StatusLine {
  constructor() {
    this.backend = $('backend');
    this.details = $('backend-details');
    this.label = $('backend-label');
    this.reason = $('backend-reason');
    this.backend.addEventListener('click', () => {
      this.details.hidden = !this.details.hidden;
      this.backend.setAttribute('aria-expanded', String(!this.details.hidden));
    });
    this.speed = $('steps-per-sec');
    this.epoch = $('epoch');
    this.epochProgress = $('epoch-progress');
    this.stepCount = $('step-count');
    this.progress = $('progress');
    this.bar = this.progress.querySelector('[role="progressbar"]');
    this.fill = this.progress.querySelector('.progress-fill');
    this.progressText = $('progress-text');
    this.backendKnown = false;
  }

  loading({ what, file, loaded, total, overall, unit }) {
    const percent = Math.round(Math.min(1, Math.max(0, overall)) * 100);
    this.progress.hidden = false;
    this.fill.style.width = `${percent}%`;
    this.bar.setAttribute('aria-valuenow', String(percent));
    if (overall >= 1) {
      this.progressText.textContent = `${what} loaded, building the model…`;
    } else if (unit === 'files') {
      this.progressText.textContent = `Reading ${what}: ${integer(loaded)} / ${integer(total)} files (${file})`;
    } else if (total > 0) {
      const filePercent = Math.round((loaded / total) * 100);
      this.progressText.textContent =
        `Loading ${what}: ${file} ${filePercent} % (${megabytes(loaded)} / ${megabytes(total)} MB)`;
    } else {
      // Without a Content-Length the size is unknown; say how much has arrived.
      this.progressText.textContent = `Loading ${what}: ${file} (${megabytes(loaded)} MB)`;
    }
  }

  /** Shown as soon as the worker has a backend, before MNIST has arrived. */
  showBackend(backend) {
    this.backendKnown = true;
    this.backend.textContent = backend?.phrase ?? 'unknown';
    this.label.textContent = backend?.label ?? 'unknown';
    this.reason.textContent = backend?.reason ?? '';
  }

  ready({ backend }) {
    this.progress.hidden = true;
    this.showBackend(backend);
    this.clearTraining();
  }

  metrics({ step, epoch, epochProgress, stepsPerSec }) {
    this.speed.textContent = stepsPerSec >= 100 ? integer(stepsPerSec) : stepsPerSec.toFixed(1);
    this.epoch.textContent = String(epoch);
    this.epochProgress.textContent = `${Math.round(epochProgress * 100)} %`;
    this.stepCount.textContent = integer(step);
  }

  showStep(step) {
    this.stepCount.textContent = integer(step);
  }

  clearTraining() {
    this.speed.textContent = '–';
    this.epoch.textContent = '–';
    this.epochProgress.textContent = '';
    this.stepCount.textContent = '0';
  }

  /** A download failed or the worker gave up: stop promising progress. */
  hideProgress() {
    this.progress.hidden = true;
  }

  /** The worker gave up. */
  fail() {
    this.hideProgress();
    if (!this.backendKnown) this.backend.textContent = 'unavailable';
  }
}

export class ErrorBanner {
  constructor(element) {
    this.element = element;
    this.text = element.querySelector('.error-message');
    this.field = null;
    element.querySelector('.error-dismiss').addEventListener('click', () => this.hide());
  }

  /** The message is shown verbatim: it already names the file, the problem and the fix. */
  show(message, field) {
    this.text.textContent = message;
    this.field = field ?? null;
    this.element.hidden = false;
  }

  /** Withdraws the banner if it is about this field (the user is fixing it). */
  clear(field) {
    if (this.field === field) this.hide();
  }

  /** Withdraws the banner if it is about any control (the worker accepted new settings). */
  clearFields() {
    if (this.field !== null) this.hide();
  }

  hide() {
    this.element.hidden = true;
    this.field = null;
  }
}
