// Help, one tap away: a small "?" button beside a label or a heading opens a short note, and
// hovering it shows the same text as a tooltip. The note is an element the page places where
// it should appear (under a field, under a card's head), hidden until asked for. The controls
// it explains name it in aria-describedby, so a screen reader reads it with them whether it is
// open or not.
//
// In the page's HTML a note is declared, and `initHelp` wires it up:
//   <p class="help-note" id="loss-help" data-help-after="loss-title" data-help-for="loss-chart loss-log" hidden>…</p>
// data-help-after: the element the "?" follows, whose text names the button ("About Loss");
// data-help-name: a name for it instead, where the anchor's text would mislead;
// data-help-for: the controls (and charts) the note explains.
// Elements built in JavaScript call `attachHelp` with the same parts.

/** The word before each anchor's text in a "?" button's name: "About Loss". */
const WORD_ID = 'help-word';

function helpWord() {
  if (!document.getElementById(WORD_ID)) {
    const word = document.createElement('span');
    word.id = WORD_ID;
    word.hidden = true;
    word.textContent = 'About';
    document.body.append(word);
  }
}

/** Adds `id` to what `element` says it is described by, keeping what was there. */
function describe(element, id) {
  const ids = (element.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
  if (!ids.includes(id)) element.setAttribute('aria-describedby', [...ids, id].join(' '));
}

/**
 * Gives `note` (an element with an id) a "?" button right after `anchor`, which opens and
 * closes it, and makes it the description of each of `controls`. The button is named "About
 * <name>", or else by the anchor's text as it is when read (so a heading that changes with
 * the model names it right).
 * @param {HTMLElement} anchor
 * @param {HTMLElement} note
 * @param {HTMLElement[]} controls
 * @param {string} [name]
 * @returns {HTMLButtonElement} the "?" button
 */
export function attachHelp(anchor, note, controls = [], name = '') {
  helpWord();
  if (!anchor.id) anchor.id = `${note.id}-anchor`;
  note.classList.add('help-note');
  note.hidden = true;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'help-toggle';
  button.textContent = '?';
  button.title = note.textContent.trim().replace(/\s+/g, ' ');
  if (name) button.setAttribute('aria-label', `About ${name}`);
  else button.setAttribute('aria-labelledby', `${WORD_ID} ${anchor.id}`);
  button.setAttribute('aria-controls', note.id);
  button.setAttribute('aria-expanded', 'false');
  button.addEventListener('click', () => (note.hidden ? openHelp(button) : closeHelp(button)));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !note.hidden) {
      closeHelp(button);
      e.preventDefault();
    }
  });
  // A "?" shows where its anchor shows: the page hides some controls by model family.
  for (const only of anchor.classList) if (only.endsWith('-only')) button.classList.add(only);
  anchor.after(button);
  for (const control of controls) describe(control, note.id);
  return button;
}

/** @param {HTMLButtonElement} button a "?" button of `attachHelp` */
function openHelp(button) {
  document.getElementById(button.getAttribute('aria-controls')).hidden = false;
  button.setAttribute('aria-expanded', 'true');
}

/** Closes the note of a "?" button of `attachHelp`, if it is open. */
export function closeHelp(button) {
  document.getElementById(button.getAttribute('aria-controls')).hidden = true;
  button.setAttribute('aria-expanded', 'false');
}

/** Wires up every note declared in `root` (see the top of this file) not yet wired. */
export function initHelp(root = document) {
  for (const note of root.querySelectorAll('.help-note[data-help-after]')) {
    if (note.dataset.helpReady) continue;
    const anchor = document.getElementById(note.dataset.helpAfter);
    if (!anchor) throw new Error(`help note #${note.id} follows #${note.dataset.helpAfter}, which is not on the page`);
    const controls = (note.dataset.helpFor ?? '').split(/\s+/).filter(Boolean).map((id) => {
      const control = document.getElementById(id);
      if (!control) throw new Error(`help note #${note.id} explains #${id}, which is not on the page`);
      return control;
    });
    attachHelp(anchor, note, controls, note.dataset.helpName);
    note.dataset.helpReady = 'true';
  }
}

/**
 * The catalog's words on the current model: what it does and what to look for while it
 * trains.
 * @param {{about: string, lookFor: string} | undefined} model the catalog's entry
 */
export function showAbout(model) {
  document.getElementById('model-about').textContent = model?.about ?? '';
  document.getElementById('model-look-for').textContent = model?.lookFor ?? '';
}
