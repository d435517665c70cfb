// What a hostile tester found (issue 30): a crashed worker, damaged records in IndexedDB, a
// damaged history in a checkpoint, a file name in capitals, runs lost between autosaves and a
// speed that counted paused time. Each is met in the real page, as a user would meet it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openPage, step, steps } from './lab.mjs';
import { npy } from '../../scripts/npy.mjs';

const shownStep = async (page) => Number((await page.locator('#step-count').textContent()).replace(/,/g, ''));
const ready = (page) => page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });

const clearKept = (page) => page.evaluate(() => (document.getElementById('autosave-status').textContent = ''));
const keptAt = (page, n) => page.waitForFunction(
  (text) => document.getElementById('autosave-status').textContent.startsWith(text),
  `Kept in this browser at step ${n.toLocaleString('en-US')} (`,
  { timeout: 30_000 },
);

/** Plays until the step passes `n`, then pauses; resolves to the step where training stopped, which the pause kept. */
async function trainAndPause(page, n) {
  await page.click('#play');
  await page.waitForFunction((n) => Number(document.body.dataset.step) >= n, n, { timeout: 120_000 });
  await clearKept(page);
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');
  const stopped = await step(page);
  await keptAt(page, stopped);
  return stopped;
}

/** Drops a file on the page as a user's drag and drop does. */
async function drop(page, name, bytes) {
  const dataTransfer = await page.evaluateHandle(({ name, base64 }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name));
    return transfer;
  }, { name, base64: Buffer.from(bytes).toString('base64') });
  await page.dispatchEvent('body', 'drop', { dataTransfer });
}

/** A copy of the checkpoint `bytes` with `history` in place of its chart history (docs/checkpoint-format.md). */
function withHistory(bytes, history) {
  const headerLength = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8'));
  const records = bytes.subarray(12 + headerLength, bytes.length - header.history);
  const text = Buffer.from(history);
  const json = Buffer.from(JSON.stringify({ ...header, history: text.length }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([bytes.subarray(0, 8), length, json, records, text]);
}

test('a crashed worker is replaced by one that goes on from the kept run', { timeout: 420_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  const kept = await trainAndPause(page, 5);
  await page.click('#play');
  await page.waitForFunction((k) => Number(document.body.dataset.step) > k + 3, kept, { timeout: 60_000 });

  // Making the wasm code run out of memory for real takes gigabytes and minutes. What reaches
  // the page is the same either way: the worker's 'error' event for a RuntimeError nothing in
  // it caught. The test throws one inside the worker itself (playwright evaluates in the
  // worker through DevTools), so the browser raises that event as it would for a real trap.
  await page.workers().at(-1).evaluate(() => {
    setTimeout(() => {
      throw new WebAssembly.RuntimeError('unreachable');
    });
  });
  await page.locator('#crashed').waitFor({ state: 'visible', timeout: 30_000 });
  const message = await page.locator('#crashed-message').textContent();
  assert.match(message, /^Training stopped: the worker that trains the model crashed \(RuntimeError: unreachable\)\. The browser most likely ran out of memory for it\. The run kept in this browser at step [\d,]+ can go on in a new worker\.$/);
  const from = Number(/step ([\d,]+)/.exec(message)[1].replace(/,/g, ''));
  assert.ok(from >= kept, `offers step ${from}, the pause kept ${kept}`);
  assert.equal(await page.locator('#restart').textContent(), `Go on from step ${from.toLocaleString('en-US')}`);
  assert.ok(await page.locator('#play').isDisabled(), 'the controls of a dead worker are still enabled');

  await page.click('#restart');
  await ready(page);
  await page.waitForFunction(() => /^Loaded the saved ae run/.test(document.getElementById('notice').textContent), null, { timeout: 60_000 });
  assert.equal(await page.locator('#notice').textContent(), `Loaded the saved ae run: ae after ${from} steps of training.`);
  assert.equal(await shownStep(page), from);
  assert.ok(await page.locator('#crashed').isHidden());
  await page.click('#play');
  await page.waitForFunction((f) => Number(document.body.dataset.step) > f + 2, from, { timeout: 60_000 });
  assert.match(await page.locator('#loss-readout').textContent(), /train loss \d/);

  // A trap inside a Session call, which the worker catches itself, ends the same way: here the
  // new worker's Session fails its next training call as a wasm trap does.
  await page.workers().at(-1).evaluate(async () => {
    const { Session } = await import('/pkg/latent_lab.js');
    Session.prototype.train = () => Promise.reject(new WebAssembly.RuntimeError('unreachable'));
  });
  await page.locator('#crashed').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await page.locator('#crashed-message').textContent(), /crashed \(RuntimeError: unreachable\)/);
  assert.ok(await page.locator('#error').isHidden());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a damaged record in IndexedDB is listed as damaged and discarded; the good run stays', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  const kept = await trainAndPause(page, 3);
  // A key that would break a selector built from it, and a record claiming 3e9 bytes; kept
  // data with no hash, and kept data whose files are not files.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('latent-lab');
    request.onsuccess = () => {
      const tx = request.result.transaction(['runs', 'datasets', 'dataset-files'], 'readwrite');
      const runs = tx.objectStore('runs');
      runs.put({ model: 'ae"] li, x[y="', step: 5, savedAt: Date.now(), bytes: new ArrayBuffer(64) });
      runs.put({ model: 'vae', step: 7, savedAt: Date.now(), bytes: { byteLength: 3e9, length: 3e9 } });
      const hash = 'ab'.repeat(16);
      tx.objectStore('datasets').put({ hash: 'not a hash', name: 'nameless', slot: 'side28', size: 1, savedAt: Date.now() });
      tx.objectStore('datasets').put({ hash, name: 'broken', slot: 'side28', size: 10, savedAt: Date.now(), judge: false });
      tx.objectStore('dataset-files').put({ hash, files: 'not files', judge: null });
      tx.oncomplete = () => resolve(request.result.close());
      tx.onerror = () => reject(tx.error);
    };
    request.onerror = () => reject(request.error);
  }));
  await page.reload();
  await ready(page);
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  const good = page.locator('#saved-runs li:not(.damaged)');
  assert.equal(await good.count(), 1);
  assert.match(await good.textContent(), new RegExp(`^Autoencoder: step ${kept}, saved just now`));
  const damaged = page.locator('#saved-runs li.damaged');
  assert.deepEqual((await damaged.allTextContents()).sort(), [
    '"ae\\"] li, x[y=\\"": a damaged saved run (its model is not one this page knows), which cannot be resumedDiscard',
    'Variational autoencoder: a damaged saved run (it holds no checkpoint), which cannot be resumedDiscard',
  ]);
  assert.equal(await damaged.locator('.resume-run').count(), 0, 'a damaged run is offered for resuming');
  await damaged.first().locator('.discard-run').click();
  await page.waitForFunction(() => document.querySelectorAll('#saved-runs li.damaged').length === 1);
  await damaged.first().locator('.discard-run').click();
  await page.waitForFunction(() => document.querySelectorAll('#saved-runs li.damaged').length === 0);
  assert.equal(await good.count(), 1, 'the good run went with the damaged ones');

  // The good run still resumes, and a reload no longer lists the discarded ones.
  await good.locator('.resume-run').click();
  await page.waitForFunction(() => /^Loaded the saved ae run/.test(document.getElementById('notice').textContent));
  assert.equal(await shownStep(page), kept);
  await page.reload();
  await ready(page);
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.locator('#saved-runs li').count(), 1);

  // Kept data: the record without a hash is not offered; the one with damaged files is, and
  // picking it says what is wrong, discards it and leaves the run and its data alone.
  const keptData = page.locator('#dataset-select option[value^="kept:"]');
  await page.waitForFunction(() => document.querySelectorAll('#dataset-select option[value^="kept:"]').length > 0);
  const before = await shownStep(page);
  assert.deepEqual(await keptData.allTextContents(), ['Kept: broken (0.0 MB)']);
  await page.selectOption('#dataset-select', await keptData.getAttribute('value'));
  await page.locator('#error').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await page.locator('#error').textContent(), /Your data broken kept in this browser is damaged \(its files are not files\), so it was discarded: give its files again\./);
  await page.waitForFunction(() => document.querySelectorAll('#dataset-select option[value^="kept:"]').length === 0);
  assert.match(await page.locator('#dataset').textContent(), /^MNIST/);
  assert.equal(await shownStep(page), before);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a dropped RUN.LLCK loads as a checkpoint, and a damaged history costs only the charts', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await steps(page, 3);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const saved = readFileSync(await download.path());
  await steps(page, 2);

  // The extension in capitals: still a checkpoint, not a .npy.
  await drop(page, 'RUN.LLCK', saved);
  await page.waitForFunction(() => /^Loaded RUN\.LLCK/.test(document.getElementById('notice').textContent), null, { timeout: 30_000 });
  assert.equal(await page.locator('#notice').textContent(), 'Loaded RUN.LLCK: ae after 3 steps of training.');
  assert.match(await page.locator('#loss-readout').textContent(), /train loss \d/, 'the curves did not come back');

  // The page's own checkpoint with its history damaged: the weights load, the charts start empty.
  const damaged = [
    ['entries.llck', '{"version":1,"metrics":[null],"evals":[]}', 'its chart entry 1 is not an object'],
    ['null.llck', 'null', 'it is not a version 1 history'],
    ['garbage.llck', 'garbage', 'it is not JSON'],
  ];
  for (const [name, history, why] of damaged) {
    await drop(page, name, withHistory(saved, history));
    await page.waitForFunction((name) => document.getElementById('notice').textContent.startsWith(`Loaded ${name}`), name, { timeout: 30_000 });
    assert.equal(
      await page.locator('#notice').textContent(),
      `Loaded ${name}: ae after 3 steps of training. Its charts could not be restored (the saved history is damaged: ${why}).`,
    );
    assert.ok(await page.locator('#error').isHidden(), await page.locator('#error').textContent());
    assert.equal(await shownStep(page), 3);
    assert.match(await page.locator('#loss-readout').textContent(), /^train loss — /, 'damaged curves were drawn');
  }
  // Training goes on from the loaded weights.
  await steps(page, 1);
  assert.equal(await shownStep(page), 4);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a pause keeps the run at its step, a model switch cannot lose it, and the speed leaves out the pause', { timeout: 420_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await page.evaluate(() => {
    window.shownRates = [];
    const speed = document.getElementById('steps-per-sec');
    const watch = new MutationObserver(() => {
      const value = Number(speed.textContent.replace(/,/g, ''));
      if (Number.isFinite(value)) window.shownRates.push({ at: performance.now(), value });
    });
    watch.observe(speed, { childList: true, characterData: true, subtree: true });
  });
  const shown = (from) => page.evaluate((from) => window.shownRates.filter((r) => r.at >= from).map((r) => r.value), from);
  const clock = () => page.evaluate(() => ({ at: performance.now(), step: Number(document.body.dataset.step) }));

  // Trained for a few one-second windows, then paused for several: the first window after
  // Play used to span the pause. The speed shown after Play is held against the speed the
  // steps themselves show over the same seconds, not against the speed before the pause,
  // which another process's load on this machine may have changed by then.
  await page.click('#play');
  await page.waitForTimeout(5000);
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');
  await page.waitForTimeout(8000);
  const lastShown = Number((await page.locator('#steps-per-sec').textContent()).replace(/,/g, ''));
  const played = await clock();
  await page.click('#play');
  await page.waitForTimeout(3500);
  const now = await clock();
  const actual = (1000 * (now.step - played.step)) / (now.at - played.at);
  // Until the first window after Play closes, the speed before the pause stays on show.
  const after = (await shown(played.at)).filter((value, i, all) => all.slice(0, i + 1).some((v) => v !== lastShown));
  assert.ok(after.length > 0, 'no new speed was shown after Play');
  assert.ok(Math.min(...after) > 0.4 * actual, `after the pause the speed read ${after.join(', ')} steps/s; the steps went at ${actual.toFixed(1)}`);

  // Paused and switched to another model at once: the autoencoder's run is kept at the step
  // where it stopped, under its own name.
  await page.evaluate(() => {
    window.aeStep = 0;
    new MutationObserver(() => {
      if (document.body.dataset.model === 'ae') window.aeStep = Math.max(window.aeStep, Number(document.body.dataset.step));
    }).observe(document.body, { attributes: true, attributeFilter: ['data-step'] });
  });
  await clearKept(page);
  await page.click('#play');
  await page.selectOption('#model', 'vae');
  await page.waitForFunction(() => document.body.dataset.model === 'vae' && document.body.dataset.state === 'ready');
  // The step last shown for the autoencoder; the chunk that was training at the pause may
  // report its steps after the switch, so the run kept may be a little further on, never behind.
  const shownAt = await page.evaluate(() => window.aeStep);
  await page.waitForFunction(() => document.getElementById('autosave-status').textContent.startsWith('Kept in this browser at step '), null, { timeout: 30_000 });
  const stoppedAt = Number(/at step ([\d,]+)/.exec(await page.locator('#autosave-status').textContent())[1].replace(/,/g, ''));
  assert.ok(stoppedAt >= shownAt, `kept at step ${stoppedAt}, but the autoencoder had shown step ${shownAt}`);
  await page.reload();
  await ready(page);
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await page.locator('#saved-runs li').count(), 1, await page.locator('#saved-runs').textContent());
  assert.match(await page.locator('#saved-runs li[data-model="ae"]').textContent(), new RegExp(`^Autoencoder: step ${stoppedAt.toLocaleString('en-US')}, `));
  await page.click('#saved-runs li[data-model="ae"] .resume-run');
  await page.waitForFunction(() => /^Loaded the saved ae run/.test(document.getElementById('notice').textContent));
  assert.equal(await page.locator('#notice').textContent(), `Loaded the saved ae run: ae after ${stoppedAt} steps of training.`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a reset keeps the run it throws away, and steps taken by hand are kept within seconds', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  // Stepped by hand: no pause keeps the run, only the reset and the save that follows steps.
  await steps(page, 3);
  await clearKept(page);
  await page.click('#reset');
  await keptAt(page, 3);
  await page.waitForFunction(() => Number(document.body.dataset.step) === 0);
  // Two steps of the new run are kept a few seconds later, over the run the reset kept, so
  // that leaving the page (a reload) loses nothing.
  await steps(page, 2);
  await keptAt(page, 2);
  await page.reload();
  await ready(page);
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await page.locator('#saved-runs li[data-model="ae"]').textContent(), /^Autoencoder: step 2, /);
  assert.deepEqual(errors, []);
  await page.close();
});

test('values a model cannot take are refused with the number as given; a small data set lowers the batch', { timeout: 300_000 }, async () => {
  const refused = async (query, pattern) => {
    const { page } = await openPage(query);
    await page.waitForTimeout(1500); // a later config from arriving data must not hide the refusal
    assert.ok(await page.locator('#error').isVisible(), `${query}: no refusal shown`);
    assert.match(await page.locator('#error').textContent(), pattern);
    return page;
  };
  // A batch whose step would not fit in a tab's memory: the refusal names the largest it takes.
  let page = await refused('?backend=cpu&model=dcgan-mnist&batchSize=20000', /batch size must be at most \d+ for this model, not 20000/);
  await page.close();
  // Whole numbers are not narrowed to 32 bits before they are checked.
  page = await refused('?backend=cpu&batchSize=4294967312', /not 4294967312/);
  assert.equal(await page.locator('#batchSize').inputValue(), '256');
  await page.close();
  // A setting the model does not have is refused, not ignored.
  page = await refused('?backend=cpu&model=ae&beta=0.5', /has no setting 'beta'/);
  await page.close();

  // Twelve images for a model that trains on batches of sixteen.
  ({ page } = await openPage('?backend=cpu&model=wgan-poly'));
  await page.waitForFunction(() => (document.body.dataset.loaded ?? '').includes('poly'), null, { timeout: 180_000 });
  await drop(page, 'twelve.npy', npy(12, (i) => Math.sin(i / 7) / 40));
  await page.locator('#notice').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await page.locator('#notice').textContent(), /The batch size is now 12, as the data holds only 12 images \(it was 16\)/);
  await page.waitForFunction(() => document.getElementById('batchSize').value === '12', null, { timeout: 30_000 });
  await steps(page, 2);
  assert.ok(await page.locator('#error').isHidden());
  await page.close();
});
