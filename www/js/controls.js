// The training controls: model, preset, hyper-parameters, Play/Pause, Step, Reset.
// The model menu, the preset menu and one number box per control are built from the
// Session's catalog; which controls a model has, and its preset's values, come with each
// config (the Rust side is the one place that knows them). Each edit sends its own field
// alone, so a refused value blocks no other edit, and a refused box goes back to the value
// in force.

import { attachHelp, closeHelp } from './help.js';
import { $ } from './util.js';

// An empty box is "no number", not 0 as Number('') would have it.
const parse = (text) => (text.trim() === '' ? NaN : Number(text));

function element(tag, attributes = {}, text = '') {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  node.textContent = text;
  return node;
}

export class Controls {
  /**
   * @param {{onConfigure: (change: object) => void, onCommand: (type: string) => void,
   *   onEdit: (field: string) => void}} handlers onEdit fires as the user edits a field,
   *   so a refusal about its old value can be withdrawn.
   */
  constructor({ onConfigure, onCommand, onEdit }) {
    this.handlers = { onConfigure, onEdit };
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
    // The catalog's controls, and the worker's last config.
    this.fields = [];
    this.shown = null;

    $('controls').addEventListener('submit', (e) => e.preventDefault()); // Enter must not reload
    // A new model (or preset) starts from its preset, which the worker fills in, rather than
    // from the settings tuned for the previous one.
    this.watch('model', this.model, () => ({ model: this.model.value }));
    this.watch('preset', this.presetSelect, () => ({ preset: this.presetSelect.value }));
    this.play.addEventListener('click', () => onCommand(this.running ? 'pause' : 'play'));
    this.step.addEventListener('click', () => onCommand('step'));
    this.reset.addEventListener('click', () => onCommand('reset'));
    this.save.addEventListener('click', () => onCommand('save'));
    this.sync();
  }

  watch(field, control, change) {
    control.addEventListener('input', () => {
      this.clearFieldError(field);
      this.handlers.onEdit(field);
      this.updatePreset();
    });
    control.addEventListener('change', () => this.handlers.onConfigure(change()));
  }

  /** The model menu (grouped as the catalog groups them) and a box for each control. */
  build({ models, controls }) {
    const groups = new Map();
    for (const m of models) {
      if (!groups.has(m.group)) groups.set(m.group, element('optgroup', { label: m.group }));
      groups.get(m.group).append(element('option', { value: m.name }, m.label));
    }
    this.model.replaceChildren(...groups.values());
    const row = $('control-fields');
    const errors = $('control-errors');
    const notes = $('control-help');
    row.replaceChildren();
    errors.replaceChildren();
    notes.replaceChildren();
    this.fields = controls.map((c) => {
      const box = element('div', { id: `${c.field}-field`, class: 'field', hidden: '' });
      const input = element('input', {
        id: c.field,
        type: 'number',
        step: c.whole ? '1' : 'any',
        min: String(c.min),
        inputmode: c.whole ? 'numeric' : 'decimal',
        'aria-describedby': `${c.field}-error`,
      });
      if (c.max !== null) input.max = String(c.max);
      input.disabled = !this.enabled;
      const label = element('label', { for: c.field, id: `${c.field}-label` }, c.label);
      const help = element('p', { id: `${c.field}-help` }, c.help);
      box.append(label, input);
      notes.append(help);
      const toggle = attachHelp(label, help, [input]);
      row.append(box);
      errors.append(element('p', { id: `${c.field}-error`, class: 'field-error', hidden: '' }));
      this.watch(c.field, input, () => ({ [c.field]: parse(input.value) }));
      return { field: c.field, box, input, toggle };
    });
    this.sync();
  }

  /** The numbers in the boxes of the fields the current model has. */
  values() {
    return Object.fromEntries(this.fields.filter((f) => !f.box.hidden).map((f) => [f.field, parse(f.input.value)]));
  }

  /** Shows the configuration the worker is actually using; refusals of earlier values no longer apply. */
  setConfig(config) {
    this.shown = config;
    this.model.value = config.model;
    this.presetSelectField.hidden = config.presets.length < 2;
    this.presetSelect.replaceChildren(...config.presets.map((p) => element('option', { value: p.name }, p.label)));
    this.presetSelect.value = config.preset;
    for (const { field, box, input, toggle } of this.fields) {
      const value = config.values[field];
      box.hidden = value === null || value === undefined;
      if (box.hidden) closeHelp(toggle); // a model without the control has no use for its help
      if (!box.hidden) input.value = String(value);
      this.clearFieldError(field);
    }
    this.clearFieldError('model');
    this.clearFieldError('preset');
    this.updatePreset();
  }

  control(field) {
    if (field === 'model') return this.model;
    if (field === 'preset') return this.presetSelect;
    return this.fields.find((f) => f.field === field)?.input ?? null;
  }

  /** A refused value: its box goes back to the value in force, with the reason beside it. */
  showFieldError(field, message) {
    const control = this.control(field);
    if (!control) return;
    const inForce = field === 'model' || field === 'preset' ? this.shown?.[field] : this.shown?.values[field];
    if (inForce !== null && inForce !== undefined) control.value = String(inForce);
    control.setAttribute('aria-invalid', 'true');
    const note = $(`${control.id}-error`);
    note.textContent = message;
    note.hidden = false;
    this.updatePreset();
  }

  clearFieldError(field) {
    const control = this.control(field);
    if (!control) return;
    control.removeAttribute('aria-invalid');
    const note = $(`${control.id}-error`);
    note.textContent = '';
    note.hidden = true;
  }

  /** "Preset: …" while the boxes hold the preset's values, "custom" once they do not. */
  updatePreset() {
    if (!this.shown) return;
    const { presetValues, presetText } = this.shown;
    const custom = Object.entries(this.values()).some(([field, value]) => presetValues[field] !== value);
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
    for (const control of [this.model, this.presetSelect, ...this.fields.map((f) => f.input)]) control.disabled = !this.enabled;
    this.reset.disabled = !this.enabled;
    this.save.disabled = !this.enabled;
  }
}
