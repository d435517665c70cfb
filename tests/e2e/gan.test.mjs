// The GAN views in headless Chromium: real images beside the samples, a noise-plane image
// that follows training untouched, meters measured at the step of the snapshot they stand
// beside, and the polynomial GANs' degree histograms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage } from './lab.mjs';

const canvasData = (page, id) => page.evaluate((id) => document.getElementById(id).toDataURL(), id);

/** Picks `model` and waits for its first snapshot (step 0), its data made or fetched first. */
async function pick(page, model) {
  await page.selectOption('#model', model);
  await page.waitForFunction((m) => document.body.dataset.model === m && document.body.dataset.state === 'ready'
    && / at step 0 /.test(document.getElementById('samples-caption').textContent), model, { timeout: 300_000 });
}

/** The real grid's count and image side from its label, once it gives `side`, and the samples'
 * count from their caption. */
async function grids(page, side) {
  await page.waitForFunction((side) => new RegExp(`^\\d+ real training images of ${side} x`).test(document.getElementById('samples-real').getAttribute('aria-label')),
    side, { timeout: 60_000 });
  return page.evaluate(() => {
    const [, count, side] = /^(\d+) real training images of (\d+) x/.exec(document.getElementById('samples-real').getAttribute('aria-label'));
    const box = (id) => document.getElementById(id).getBoundingClientRect();
    return {
      real: Number(count),
      side: Number(side),
      samples: Number(/^(\d+) samples/.exec(document.getElementById('samples-caption').textContent)[1]),
      sizes: [box('samples').width, box('samples').height, box('samples-real').width, box('samples-real').height],
    };
  });
}

/** The steps the grid's caption and the meters' note give, read in one go. */
const shownSteps = (page) => page.evaluate(() => {
  const at = (id) => /at step ([\d,]+)/.exec(document.getElementById(id).textContent)?.[1].replaceAll(',', '');
  return { grid: at('samples-caption'), meters: at('meters-note') };
});

test('a polynomial GAN: the noise-plane image follows training, meters share the snapshot step, degree histograms', { timeout: 900_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await pick(page, 'dcgan-poly');

  // Real images beside the samples: as many, of the same side, drawn as large.
  const shown = await grids(page, 40);
  assert.equal(shown.real, shown.samples, JSON.stringify(shown));
  const [w, h, rw, rh] = shown.sizes;
  assert.ok(w > 100 && Math.abs(w - rw) < 1 && Math.abs(h - rh) < 1, JSON.stringify(shown));
  const real = await canvasData(page, 'samples-real');

  // The image at the marker, generated once the model is ready; then training alone changes it.
  await page.waitForFunction(() => /generated from noise/.test(document.getElementById('decoded-caption').textContent));
  const decoded = await canvasData(page, 'decoded');
  await page.click('#play');
  await page.waitForFunction((before) => document.getElementById('decoded').toDataURL() !== before, decoded, { timeout: 180_000 });

  // Every snapshot comes with its meters: while training, the step under the grid is the
  // meters' step whenever both are read.
  await page.waitForFunction(() => !document.getElementById('meters').hidden, null, { timeout: 120_000 });
  const seen = new Set();
  for (let i = 0; i < 40 && seen.size < 3; i++) {
    const { grid, meters } = await shownSteps(page);
    assert.equal(grid, meters, `the grid is at step ${grid}, the meters at ${meters}`);
    seen.add(grid);
    await page.waitForTimeout(500);
  }
  assert.ok(seen.size >= 2, `the snapshots did not move on: ${[...seen]}`);
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('play').textContent.trim() === 'Play');
  // Scrubbing back shows the first snapshot's meters with it.
  await page.locator('#timeline').fill('0');
  const first = await shownSteps(page);
  assert.equal(first.grid, '0');
  assert.equal(first.meters, '0');

  // The degree histograms of the samples and of the real images: six bins of 256 each.
  for (const id of ['meter-degrees', 'meter-real-degrees']) {
    const bars = await page.$$eval(`#${id} .bar`, (b) => b.map((bar) => Number(bar.title.split(' ')[0])));
    assert.equal(bars.length, 6, id);
    assert.equal(bars.reduce((a, b) => a + b, 0), 256, id);
    assert.match(await page.locator(`#${id}`).getAttribute('aria-label'), /0: \d+, 1: \d+, 2: \d+, 3: \d+, 4: \d+, >4: \d+$/);
  }
  const distance = Number(await page.locator('#meter-degree-distance').textContent());
  assert.ok(distance >= 0 && distance <= 1, `distance ${distance}`);
  assert.equal(await canvasData(page, 'samples-real'), real, 'the real images stay while the run goes on');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the WGAN and the MNIST DCGAN show real images as many and as large as their samples', { timeout: 900_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  for (const [model, side] of [['wgan-poly', 40], ['dcgan-mnist', 28]]) {
    await pick(page, model);
    const shown = await grids(page, side);
    assert.equal(shown.real, shown.samples, `${model}: ${JSON.stringify(shown)}`);
    const [w, h, rw, rh] = shown.sizes;
    assert.ok(w > 100 && Math.abs(w - rw) < 1 && Math.abs(h - rh) < 1, `${model}: ${JSON.stringify(shown)}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
