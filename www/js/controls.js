// The training controls: model, preset, hyper-parameters, Play/Pause, Step, Reset.
// Which settings a model has, and its preset's values, come from the worker's config (the
// Rust side is the one place that knows them); a field shows when the model has it.

import { $ } from './util.js';

// Config field → id of its control. The numeric fields' boxes sit in `${id}-field`.
const NUMBER_FIELDS = {
  learningRate: 'lr',
  lrGenerator: 'lr-generator',
  lrCritic: 'lr-critic',
  batchSize: 'batch',
  beta: 'beta',
  nCritic: 'n-critic',
  clip: 'clip',
  ema: 'ema',
};
const FIELD_CONTROLS = { model: 'model', preset: 'preset-select', ...NUMBER_FIELDS };

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
    this.presetSelect = $('preset-select');
    this.presetSelectField = $('preset-select-field');
    this.play = $('play');
    this.step = $('step');
    this.reset = $('reset');
    this.save = $('save');
    this.preset = $('preset');
    this.enabled = false;
    this.running = false;
    // The worker's last config: which fields the model has and its preset's values.
    this.shown = null;

    $('controls').addEventListener('submit', (e) => e.preventDefault()); // Enter must not reload
    for (const [field, id] of Object.entries(FIELD_CONTROLS)) {
      const control = $(id);
      control.addEventListener('input', () => {
        this.clearFieldError(field);
        onEdit(field);
        this.updatePreset();
      });
      // A new model (or GAN preset) starts from its preset, which the worker fills in,
      // rather than from the settings tuned for the previous one.
      control.addEventListener('change', () => {
        if (field === 'model') onConfigure({ model: this.model.value });
        else if (field === 'preset') onConfigure({ preset: this.presetSelect.value });
        else onConfigure(this.config());
      });
    }
    this.play.addEventListener('click', () => onCommand(this.running ? 'pause' : 'play'));
    this.step.addEventListener('click', () => onCommand('step'));
    this.reset.addEventListener('click', () => onCommand('reset'));
    this.save.addEventListener('click', () => onCommand('save'));
    this.sync();
  }

  /** The numbers in the boxes of the fields the current model has. */
  config() {
    const config = {};
    for (const [field, id] of Object.entries(NUMBER_FIELDS)) {
      if (!$(`${id}-field`).hidden) config[field] = parse($(id).value);
    }
    return config;
  }

  /** Shows the configuration the worker is actually using; refusals of earlier values no longer apply. */
  setConfig(config) {
    this.shown = config;
    this.model.value = config.model;
    this.presetSelectField.hidden = config.family !== 'gan';
    this.presetSelect.value = config.preset;
    for (const [field, id] of Object.entries(NUMBER_FIELDS)) {
      const value = config.values[field];
      $(`${id}-field`).hidden = value === null || value === undefined;
      if (value !== null && value !== undefined) $(id).value = String(value);
    }
    for (const field of Object.keys(FIELD_CONTROLS)) this.clearFieldError(field);
    this.updatePreset();
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
    if (!id) return;
    $(id).removeAttribute('aria-invalid');
    const note = $(`${id}-error`);
    note.textContent = '';
    note.hidden = true;
  }

  /** "Preset: …" while the boxes hold the preset's values, "custom" once they do not. */
  updatePreset() {
    if (!this.shown) return;
    const config = this.config();
    const { presetValues, presetText } = this.shown;
    const custom = Object.entries(config).some(([field, value]) => presetValues[field] !== value);
    this.preset.textContent = custom ? `Preset: ${this.shown.preset} layers, custom settings` : `Preset: ${presetText}`;
    this.preset.classList.toggle('custom', custom);
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.sync();
  }

  setRunning(running) {
    this.running = running;
    this.sync();
  }

  sync() {
    this.play.textContent = this.running ? 'Pause' : 'Play';
    this.play.classList.toggle('running', this.running);
    this.play.disabled = !this.enabled;
    // Stepping is for inspecting a paused model; while running, steps already follow one another.
    this.step.disabled = !this.enabled || this.running;
    for (const id of [...Object.values(FIELD_CONTROLS)]) $(id).disabled = !this.enabled;
    this.reset.disabled = !this.enabled;
    this.save.disabled = !this.enabled;
  }
}
