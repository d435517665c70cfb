// The charts' hover readout and the runs pinned to compare with (ghosts): the readout shows
// the step under the pointer and each series' recorded value there, as the worker reported
// it; a pinned run stays on the charts, dashed, through a reset and a change of setting,
// and the legend names both runs by the setting that differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lab, openPage, step, steps } from './lab.mjs';

// Every figure the worker sends the page, as it sent it: what the readout must match. The
// page's own code is untouched; the Worker it makes is one that also copies its messages.
const RECORD_MESSAGES = () => {
  const Native = window.Worker;
  window.sent = { metrics: [], evals: [] };
  window.Worker = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', ({ data }) => {
        if (data?.type === 'reset') window.sent = { metrics: [], evals: [] };
        if (data?.type === 'metrics') window.sent.metrics.push(data);
        if (data?.type === 'eval' && data.epoch === undefined) window.sent.evals.push(data);
      });
    }
  };
};

async function recordingPage(query, viewport = { width: 1280, height: 900 }) {
  const page = await lab.browser.newPage({ viewport });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(RECORD_MESSAGES);
  await page.goto(lab.base + query);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return { page, errors };
}

/** The worker's per-step figure `key` at `step`, as a float32 (the chart keeps float32). */
const sentAt = (page, key, at) =>
  page.evaluate(([key, at]) => {
    for (const m of window.sent.metrics) {
      const i = at - m.firstStep;
      if (m[key] && i >= 0 && i < m[key].length) return m[key][i];
    }
    return null;
  }, [key, at]);

/** The evaluation the worker sent nearest `at` (the first of two as near). */
const evalNear = (page, at) =>
  page.evaluate((at) => window.sent.evals.reduce((a, b) => (Math.abs(b.step - at) < Math.abs(a.step - at) ? b : a)), at);

/**
 * Points the mouse at step `at` of the chart `id` (where the chart says its steps are) and
 * returns the readout's step and rows once it shows that step.
 */
async function hoverStep(page, id, at) {
  await page.locator(`#${id}`).scrollIntoViewIfNeeded();
  const box = await page.locator(`#${id}`).boundingBox();
  const [left, right, lo, hi] = (await page.locator(`#${id}`).getAttribute('data-plot')).split(' ').map(Number);
  const x = box.x + left + ((at - lo) / (hi - lo)) * (right - left);
  await page.mouse.move(x, box.y + box.height / 2);
  const tip = page.locator(`#${id} ~ .chart-tip`);
  await page.waitForFunction((id) => document.querySelector(`#${id} ~ .chart-tip`)?.hidden === false, id, { timeout: 10_000 });
  assert.equal(Number(await tip.getAttribute('data-step')), at, `${id}: the readout's step`);
  const rows = await tip.locator('.chart-tip-row').evaluateAll((rows) =>
    rows.map((r) => ({ series: r.dataset.series, step: Number(r.dataset.step), value: Number(r.dataset.value), run: r.dataset.run ?? null, shown: Number(r.querySelector('b').textContent.replace(/,/g, '')) })));
  return { rows, row: (series, run = null) => rows.find((r) => r.series === series && r.run === run) };
}

/** The row reads `value` (a float32 figure) at `at`, and shows it to four significant figures. */
function assertRow(row, at, value, what) {
  assert.ok(row, `${what}: no row in the readout`);
  assert.equal(row.step, at, `${what}: the step`);
  assert.equal(row.value, Math.fround(value), `${what}: the value`);
  assert.ok(Math.abs(row.shown - value) <= 5e-4 * Math.abs(value) + 1e-12, `${what}: shows ${row.shown} for ${value}`);
}

test('hovering each chart reads the recorded step and values under the pointer', { timeout: 600_000 }, async () => {
  // The VAE + classifier has the loss, loss-parts and accuracy charts.
  const { page, errors } = await recordingPage('?backend=cpu&model=vae-classifier&batchSize=32');
  await steps(page, 12);
  await page.waitForFunction(() => window.sent.evals.length > 0, null, { timeout: 60_000 });
  await page.waitForFunction(() => Number(document.getElementById('loss-chart').dataset.points) > 24, null, { timeout: 30_000 });
  const last = await step(page);
  for (const at of [3, 8, last]) {
    const loss = await hoverStep(page, 'loss-chart', at);
    assertRow(loss.row('train (raw)'), at, await sentAt(page, 'losses', at), `loss chart at step ${at}, raw`);
    assert.equal(loss.row('train (smoothed)')?.step, at, 'the smoothed row is of the hovered step');
    const test = await evalNear(page, at);
    const testRow = loss.rows.find((r) => r.series.startsWith('test ('));
    assertRow(testRow, test.step, test.loss, `loss chart at step ${at}, test`);

    const parts = await hoverStep(page, 'parts-chart', at);
    assertRow(parts.row('KL, test'), test.step, test.kl, `parts chart at step ${at}, KL`);
    assertRow(parts.row('reconstruction, test'), test.step, Math.fround(test.mse) * 784, `parts chart at step ${at}, reconstruction`);

    const acc = await hoverStep(page, 'acc-chart', at);
    assertRow(acc.rows.find((r) => r.series.startsWith('test (')), test.step, Math.fround(test.accuracy) * 100, `accuracy chart at step ${at}`);
  }
  // The keys: End goes to the last step, each arrow one recorded step, and screen readers hear it.
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.querySelector('#loss-chart ~ .chart-tip').hidden);
  await page.locator('#loss-chart').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((at) => document.querySelector('#loss-chart ~ .chart-tip').dataset.step === String(at), last - 1);
  assert.match(await page.locator('#loss-chart ~ [aria-live="polite"]').textContent(), new RegExp(`^step ${last - 1}; train \\(raw\\) `));
  await page.close();

  // The GAN's loss chart: the discriminator's and the generator's raw losses as sent.
  const gan = await recordingPage('?backend=cpu&model=dcgan-mnist&batchSize=16');
  await steps(gan.page, 6);
  const g = await hoverStep(gan.page, 'gan-chart', 4);
  assertRow(g.row('discriminator loss (raw)'), 4, await sentAt(gan.page, 'criticLosses', 4), 'GAN chart, discriminator');
  assertRow(g.row('generator loss (raw)'), 4, await sentAt(gan.page, 'generatorLosses', 4), 'GAN chart, generator');
  assert.deepEqual(errors.concat(gan.errors), []);
  await gan.page.close();
});

test('a pinned run stays on the charts, dashed, through a reset, named by the setting that differs', { timeout: 600_000 }, async () => {
  const { page, errors } = await recordingPage('?backend=cpu&model=vae&seed=1&batchSize=32&beta=0.01');
  await steps(page, 8);
  await page.waitForFunction(() => window.sent.evals.length > 0, null, { timeout: 60_000 });
  await page.click('#pin-run');
  await page.waitForSelector('#ghost-list li[data-ghost]');
  await page.click('#reset');
  await page.waitForFunction(() => document.body.dataset.step === '0' && document.body.dataset.state === 'ready');
  await page.fill('#beta', '1');
  await page.dispatchEvent('#beta', 'change');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('beta') !== '0.01', null, { timeout: 30_000 });
  await steps(page, 6);

  // The legend names both runs by the settings they differ in: beta, and the seed, which a
  // reset moves on; nothing else.
  const legend = await page.locator('#ghost-list li').evaluateAll((items) => items.map((li) => li.querySelector('.ghost-label').textContent));
  assert.deepEqual(legend, ['seed 2, Beta (KL weight) = 1', 'seed 1, Beta (KL weight) = 0.01']);
  // Drawn: the loss chart drew the ghost's points (its train and test curves), dashed.
  const ghostPoints = Number(await page.locator('#loss-chart').getAttribute('data-ghost-points'));
  assert.ok(ghostPoints >= 8, `the ghost drew ${ghostPoints} points`);
  assert.ok(Number(await page.locator('#parts-chart').getAttribute('data-ghost-points')) >= 8, 'the ghost is not on the loss parts chart');
  // The readout gives the ghost's value at a step too, the one it recorded before the reset.
  const { row } = await hoverStep(page, 'loss-chart', 5);
  assert.ok(row('train (smoothed)'), 'no row of this run');
  const ghostRows = (await page.locator('#loss-chart ~ .chart-tip .chart-tip-row.ghost').count());
  assert.ok(ghostRows >= 2, 'the readout has no rows of the ghost');
  assert.equal(row('train (smoothed)', legend[1])?.step, 5);

  // Removed, it goes from the charts and the legend.
  await page.click('#ghost-list .ghost-remove');
  await page.waitForFunction(() => document.getElementById('ghost-list').hidden);
  await page.mouse.move(0, 0);
  await page.waitForFunction(() => document.getElementById('loss-chart').dataset.ghostPoints === '0');

  // A checkpoint file pinned: read, not loaded (the run stays at its step), its curves drawn.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const saved = await download.path();
  await page.setInputFiles('#pin-file', { name: 'junk.llck', mimeType: 'application/octet-stream', buffer: Buffer.from('not a checkpoint') });
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
  assert.match(await page.locator('#error').textContent(), /^junk\.llck: the checkpoint cannot be loaded: this is not a Latent Lab checkpoint/);
  await steps(page, 2);
  await page.setInputFiles('#pin-file', { name: 'vae-step6.llck', mimeType: 'application/octet-stream', buffer: readFileSync(saved) });
  await page.waitForSelector('#ghost-list li[data-ghost]', { timeout: 30_000 });
  assert.match(await page.locator('#ghost-list li[data-ghost]').textContent(), /^the same settings.*vae-step6\.llck at step 6, dashed/);
  await page.waitForFunction(() => Number(document.getElementById('loss-chart').dataset.ghostPoints) >= 6);
  assert.equal(await step(page), 8, 'pinning a checkpoint changed the run');
  assert.deepEqual(errors, []);

  // A run kept in this browser, offered after a reload, pinned from the list of kept runs.
  await page.click('#reset'); // keeps the run first
  await page.waitForFunction(() => /step 8/.test(document.getElementById('autosave-status').textContent), null, { timeout: 30_000 });
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.click('#saved-runs li[data-model="vae"] .pin-kept');
  await page.waitForSelector('#ghost-list li[data-ghost]', { timeout: 30_000 });
  assert.match(await page.locator('#ghost-list li[data-ghost]').textContent(), /the saved vae run at step 8, dashed/);
  await page.waitForFunction(() => Number(document.getElementById('loss-chart').dataset.ghostPoints) >= 8);
  assert.deepEqual(errors, []);
  await page.close();
});
