// The training controls: model, hyper-parameters, Play/Pause, Step, Reset.

import { modelTraits } from './models.js';
import { $ } from './util.js';

// Worker error `field` → id of the control it refers to.
const FIELD_CONTROLS = { model: 'model', learningRate: 'lr', batchSize: 'batch', beta: 'beta' };

// An empty box is "no number", not 0 as Number('') would have it.
const parse = (text) => (text.trim() === '' ? NaN : Number(text));

export class Controls {
  /**
   * @param {{onConfigure: (config: object) => void, onCommand: (type: string) => void,
   *   onEdit: (field: string) => void}} handlers onEdit fires as the user edits a field,
   *   so a refusal about its old value can be withdrawn.
   */
  constructor({ onConfigure, onCommand, onEdit }) {
    this.model = $('model');
    this.lr = $('lr');
    this.batch = $('batch');
    this.beta = $('beta');
    this.betaField = $('beta-field');
    this.play = $('play');
    this.step = $('step');
    this.reset = $('reset');
    this.preset = $('preset');
    this.presetNote = $('preset-note');
    this.enabled = false;
    this.running = false;

    $('controls').addEventListener('submit', (e) => e.preventDefault()); // Enter must not reload
    for (const [field, id] of Object.entries(FIELD_CONTROLS)) {
      const control = $(id);
      control.addEventListener('input', () => {
        this.clearFieldError(field);
        onEdit(field);
        this.updateFields();
      });
      // A new model starts from its own paper preset, which the worker fills in, rather
      // than from the settings tuned for the previous one.
      control.addEventListener('change', () => onConfigure(field === 'model' ? { model: this.model.value } : this.config()));
    }
    this.play.addEventListener('click', () => onCommand(this.running ? 'pause' : 'play'));
    this.step.addEventListener('click', () => onCommand('step'));
    this.reset.addEventListener('click', () => onCommand('reset'));
    this.sync();
  }

  config() {
    const config = { model: this.model.value, learningRate: parse(this.lr.value), batchSize: parse(this.batch.value) };
    // Only a VAE has a beta; a stale value in the hidden box must not be refused for another model.
    if (modelTraits(config.model).variational) config.beta = parse(this.beta.value);
    return config;
  }

  /** Shows the configuration the worker is actually using; refusals of earlier values no longer apply. */
  setConfig({ model, learningRate, batchSize, beta }) {
    this.model.value = model;
    this.lr.value = String(learningRate);
    this.batch.value = String(batchSize);
    if (beta !== undefined) this.beta.value = String(beta);
    for (const field of Object.keys(FIELD_CONTROLS)) this.clearFieldError(field);
    this.updateFields();
  }

  setPresetNote(note) {
    this.presetNote.textContent = note ?? '';
    this.presetNote.hidden = !note;
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.sync();
  }

  setRunning(running) {
    this.running = running;
    this.sync();
  }

  showFieldError(field, message) {
    const id = FIELD_CONTROLS[field];
    if (!id) return;
    $(id).setAttribute('aria-invalid', 'true');
    const note = $(`${id}-error`);
    note.textContent = message;
    note.hidden = false;
  }

  clearFieldError(field) {
    const id = FIELD_CONTROLS[field];
    $(id).removeAttribute('aria-invalid');
    const note = $(`${id}-error`);
    note.textContent = '';
    note.hidden = true;
  }

  /** Follows the selected model: beta only for a VAE, and that model's paper preset. */
  updateFields() {
    const config = this.config();
    const { variational, preset } = modelTraits(config.model);
    this.betaField.hidden = !variational;
    const paper = Object.entries(preset.values).every(([field, value]) => config[field] === value);
    this.preset.textContent = paper ? `Preset: ${preset.text}` : 'Preset: custom';
    this.preset.classList.toggle('custom', !paper);
  }

  sync() {
    this.play.textContent = this.running ? 'Pause' : 'Play';
    this.play.classList.toggle('running', this.running);
    this.play.disabled = !this.enabled;
    // Stepping is for inspecting a paused model; while running, steps already follow one another.
    this.step.disabled = !this.enabled || this.running;
    for (const control of [this.reset, this.model, this.lr, this.batch, this.beta]) control.disabled = !this.enabled;
  }
}
