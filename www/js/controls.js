// The training controls: model, hyper-parameters, Play/Pause, Step, Reset.

// The settings of the paper the default model follows.
const PAPER = { learningRate: 0.001, batchSize: 256 };
const PAPER_TEXT = 'Preset: paper (Adam 1e-3, batch 256)';

// Worker error `field` → id of the control it refers to.
const FIELD_CONTROLS = { model: 'model', learningRate: 'lr', batchSize: 'batch' };

const $ = (id) => document.getElementById(id);

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
        this.updatePreset();
      });
      control.addEventListener('change', () => onConfigure(this.config()));
    }
    this.play.addEventListener('click', () => onCommand(this.running ? 'pause' : 'play'));
    this.step.addEventListener('click', () => onCommand('step'));
    this.reset.addEventListener('click', () => onCommand('reset'));
    this.sync();
  }

  config() {
    return { model: this.model.value, learningRate: parse(this.lr.value), batchSize: parse(this.batch.value) };
  }

  /** Shows the configuration the worker is actually using; refusals of earlier values no longer apply. */
  setConfig({ model, learningRate, batchSize }) {
    this.model.value = model;
    this.lr.value = String(learningRate);
    this.batch.value = String(batchSize);
    for (const field of Object.keys(FIELD_CONTROLS)) this.clearFieldError(field);
    this.updatePreset();
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

  updatePreset() {
    const { learningRate, batchSize } = this.config();
    const paper = learningRate === PAPER.learningRate && batchSize === PAPER.batchSize;
    this.preset.textContent = paper ? PAPER_TEXT : 'Preset: custom';
    this.preset.classList.toggle('custom', !paper);
  }

  sync() {
    this.play.textContent = this.running ? 'Pause' : 'Play';
    this.play.classList.toggle('running', this.running);
    this.play.disabled = !this.enabled;
    // Stepping is for inspecting a paused model; while running, steps already follow one another.
    this.step.disabled = !this.enabled || this.running;
    for (const control of [this.reset, this.model, this.lr, this.batch]) control.disabled = !this.enabled;
  }
}
