// Help for a student, one tap away, on every model's page: every control the page shows has a
// "?" that opens its help and a screen reader's description of it (aria-describedby); every
// card, chart and meter has a note that opens on a click and closes on the next; the paragraph
// on the model, from the catalog, is there and is the model's own; with everything open, axe
// finds nothing wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { openPage } from './lab.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * What is missing on the page as it is shown, one line each: a visible control (input,
 * select, button, textarea; the "?" buttons themselves aside) with no help note among what
 * describes it, an empty note, a note without a visible "?" to open it; a card without a
 * "?" in its head; a meter without one.
 */
function missingHelp(page) {
  return page.evaluate(() => {
    const missing = [];
    const shown = (el) => el.checkVisibility();
    const toggleOf = (note) => document.querySelector(`.help-toggle[aria-controls="${note.id}"]`);
    const check = (what, note) => {
      if (!note?.classList.contains('help-note')) return missing.push(`${what}: no help note`);
      if (!note.textContent.trim()) missing.push(`${what}: an empty help note #${note.id}`);
      const toggle = toggleOf(note);
      if (!toggle || !shown(toggle)) missing.push(`${what}: no "?" shown for #${note.id}`);
    };
    for (const control of document.querySelectorAll('input, select, button, textarea')) {
      if (control.classList.contains('help-toggle') || !shown(control)) continue;
      const what = `#${control.id || control.className || control.textContent.trim()}`;
      const described = (control.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      const notes = described.map((id) => document.getElementById(id)).filter((n) => n?.classList.contains('help-note'));
      if (notes.length === 0) missing.push(`${what}: nothing in aria-describedby (${described}) is a help note`);
      for (const note of notes) check(what, note);
    }
    for (const card of document.querySelectorAll('section.card')) {
      if (!shown(card)) continue;
      const toggle = card.querySelector('.card-head .help-toggle');
      check(`the card ${card.querySelector('h2')?.textContent}`, toggle && document.getElementById(toggle.getAttribute('aria-controls')));
    }
    for (const meter of document.querySelectorAll('.meter')) {
      if (!shown(meter)) continue;
      const toggle = meter.querySelector('.help-toggle');
      check(`the meter ${meter.querySelector('dt')?.textContent}`, toggle && document.getElementById(toggle.getAttribute('aria-controls')));
    }
    return missing;
  });
}

/** Clicks each "?" shown: its note must open with text, say so, and close on the next click. */
async function toggleEveryNote(page, model) {
  const toggles = page.locator('.help-toggle:visible');
  const count = await toggles.count();
  assert.ok(count >= 5, `${model}: only ${count} "?" buttons`);
  for (let i = 0; i < count; i++) {
    const toggle = toggles.nth(i);
    const note = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    const name = `${model}: the "?" of #${await note.getAttribute('id')}`;
    assert.equal(await note.isVisible(), false, `${name} is open before a click`);
    assert.equal(await toggle.getAttribute('title'), (await note.textContent()).trim().replace(/\s+/g, ' '), `${name}: hover text`);
    await toggle.click();
    assert.equal(await note.isVisible(), true, `${name} did not open`);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true', name);
    assert.ok((await note.innerText()).trim().length > 20, `${name} opened on almost nothing`);
    await toggle.click();
    assert.equal(await note.isVisible(), false, `${name} did not close`);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false', name);
  }
  return count;
}

test('every control, card and meter of every model has help one tap away', { timeout: 900_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await page.addScriptTag({ path: axePath });
  const models = await page.$$eval('#model option', (options) => options.map((o) => o.value));
  assert.ok(models.length >= 7, `the model menu lists ${models}`);
  const abouts = new Map();
  for (const model of models) {
    await page.selectOption('#model', model);
    await page.waitForFunction(
      (m) => document.body.dataset.model === m && document.body.dataset.state === 'ready' && !document.getElementById('play').disabled,
      model,
      { timeout: 180_000 },
    );
    if (await page.evaluate(() => document.body.dataset.family === 'gan')) {
      // The meters come with the samples of a trained step.
      await page.click('#step');
      await page.waitForFunction(() => [...document.querySelectorAll('.meters')].some((m) => m.checkVisibility()), null, { timeout: 180_000 });
    }
    assert.deepEqual(await missingHelp(page), [], model);
    const count = await toggleEveryNote(page, model);

    // What the model is, one tap under the menu: the catalog's words for this model.
    const about = page.locator('.model-about');
    assert.equal(await page.locator('#model-about').isVisible(), false, `${model}: the model's paragraph is open before a click`);
    await about.locator('summary').click();
    const words = { does: await page.locator('#model-about').innerText(), lookFor: await page.locator('#model-look-for').innerText() };
    assert.ok(words.does.length > 40 && words.lookFor.length > 40, `${model}: ${JSON.stringify(words)}`);
    abouts.set(model, words);

    // Every note open at once, and the model's paragraph: readable (contrast) and well formed.
    await page.evaluate(() => {
      for (const toggle of document.querySelectorAll('.help-toggle')) if (toggle.checkVisibility()) toggle.click();
    });
    const { violations } = await page.evaluate(() => window.axe.run());
    assert.deepEqual(violations.flatMap((v) => v.nodes.map((n) => `${v.id} on ${n.target.join(' ')}`)), [], model);
    await page.evaluate(() => {
      for (const toggle of document.querySelectorAll('.help-toggle[aria-expanded="true"]')) toggle.click();
    });
    await about.locator('summary').click();
    console.log(`${model}: ${count} notes, all open and close; ${words.does.slice(0, 60)}…`);
  }
  const does = new Set([...abouts.values()].map((w) => w.does));
  const lookFor = new Set([...abouts.values()].map((w) => w.lookFor));
  assert.equal(does.size, models.length, 'a model shares its paragraph with another');
  assert.equal(lookFor.size, models.length, 'a model shares what to look for with another');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a control without help is caught', { timeout: 300_000 }, async () => {
  // The check above must not pass a page where a control lacks help: a box added without a
  // note, and a control whose note was emptied, are both reported.
  const { page } = await openPage('?backend=cpu');
  assert.deepEqual(await missingHelp(page), []);
  await page.evaluate(() => {
    const box = document.createElement('input');
    box.id = 'new-control';
    document.getElementById('controls').append(box);
    document.getElementById('keep-mb-help').textContent = '';
  });
  const missing = await missingHelp(page);
  assert.ok(missing.some((line) => line.startsWith('#new-control: nothing in aria-describedby')), missing.join('\n'));
  assert.ok(missing.some((line) => line.startsWith('#keep-mb: an empty help note')), missing.join('\n'));
  await page.close();
});
