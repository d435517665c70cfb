// The page on a phone (390x844, touch): the model's views within the first two screens,
// targets a finger can hit, hints in the words of touch, interpolation by taps, and a short
// backend line whose details open on a tap. At a desktop's size the hints still name the keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab } from './lab.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const SCREENS = 2;

/** A page of the lab at `query` in `context`, once ready, with the page errors it reports. */
async function open(context, query) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(lab.base + query);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return { page, errors };
}

/** Every visible control whose hit box is under 44 CSS pixels either way, one line each. A
 * checkbox, radio or file input is hit through its label, so the label is measured. */
const smallTargets = (page) => page.evaluate(() => {
  const small = [];
  for (const el of document.querySelectorAll('button, select, input, textarea, summary, a[href], [tabindex="0"]')) {
    const target = ['checkbox', 'radio', 'file'].includes(el.type) ? (el.closest('label') ?? el) : el;
    const { width, height } = target.getBoundingClientRect();
    if (width === 0 || height === 0 || getComputedStyle(target).visibility === 'hidden') continue;
    if (width < 43.5 || height < 43.5) {
      const name = el.id || el.name || el.textContent.trim().slice(0, 30);
      small.push(`${el.tagName.toLowerCase()} ${name}: ${width.toFixed(1)}x${height.toFixed(1)}`);
    }
  }
  return small;
});

test('on a phone each model\'s main view starts within the first two screens', { timeout: 600_000 }, async () => {
  const context = await lab.browser.newContext(PHONE);
  const { page } = await open(context, '?backend=cpu');
  const models = await page.$$eval('#model option', (options) => options.map((o) => o.value));
  await page.close();
  assert.ok(models.length >= 7, `the model menu lists ${models}`);
  const far = [];
  for (const model of models) {
    const { page: shown, errors } = await open(context, `?backend=cpu&model=${model}`);
    // The latent space for the autoencoders and VAEs, the samples for the GANs.
    const { family, title, top, curves } = await shown.evaluate(() => {
      const family = document.body.dataset.family;
      const card = document.getElementById(family === 'gan' ? 'samples' : 'latent').closest('section');
      const top = (element) => element.getBoundingClientRect().top + window.scrollY;
      const chart = document.getElementById(family === 'gan' ? 'gan-chart' : 'loss-chart').closest('section');
      return { family, title: card.querySelector('h2').textContent, top: top(card), curves: top(chart) };
    });
    assert.equal(await shown.locator(family === 'gan' ? '#samples' : '#latent').isVisible(), true, model);
    if (top > SCREENS * PHONE.viewport.height) far.push(`${model}: ${title} at ${Math.round(top)} px`);
    // What the model makes comes before the curves of its training.
    assert.ok(top < curves, `${model}: ${title} at ${top} px, its loss chart at ${curves} px`);
    assert.deepEqual(errors, [], model);
    await shown.close();
  }
  assert.deepEqual(far, []);
  await context.close();
});

test('on a phone every control is at least 44 px each way', { timeout: 600_000 }, async () => {
  const context = await lab.browser.newContext(PHONE);
  // The VAE shows the latent switch, the GAN the snapshot slider and the meters.
  for (const model of ['vae', 'dcgan-mnist']) {
    const { page, errors } = await open(context, `?backend=cpu&model=${model}`);
    // The settings folded away on a phone are controls too, and so is the backend's details.
    assert.equal(await page.locator('#more-settings').evaluate((d) => d.open), false, 'folded on a phone');
    await page.tap('#more-settings summary');
    await page.waitForFunction(() => document.getElementById('more-settings').open);
    assert.ok(await page.locator('#save').isVisible());
    assert.deepEqual(await smallTargets(page), [], model);
    assert.deepEqual(errors, [], model);
    await page.close();
  }
  await context.close();
});

test('on a phone the latent space speaks of touch, and two taps interpolate', { timeout: 600_000 }, async () => {
  const context = await lab.browser.newContext(PHONE);
  const { page, errors } = await open(context, '?backend=cpu&model=ae');
  // The wording follows the primary pointer as soon as the page knows it.
  await page.waitForFunction(() => /tap/.test(document.getElementById('latent-hint').textContent));
  const words = await page.evaluate(() => [
    document.getElementById('latent-hint').textContent,
    document.getElementById('interp-hint').textContent,
    document.getElementById('latent').getAttribute('aria-label'),
  ]);
  for (const text of words) {
    assert.doesNotMatch(text, /arrow|shift|press i|click/i, text);
    assert.match(text, /tap/i, text);
  }

  // Two points of the scatter far enough apart that each tap picks a different one: found
  // as coloured pixels of the plot (the axes, grid and ring are grey or black).
  await page.waitForFunction(() => Number(document.getElementById('latent').dataset.points) >= 2, null, { timeout: 60_000 });
  await page.locator('#latent').scrollIntoViewIfNeeded();
  const [a, b] = await page.evaluate(() => {
    const canvas = document.getElementById('latent');
    const scale = canvas.width / canvas.clientWidth;
    const { data, width, height } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const dots = [];
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const i = 4 * (y * width + x);
        const [r, g, bl] = [data[i], data[i + 1], data[i + 2]];
        if (Math.max(r, g, bl) - Math.min(r, g, bl) > 80) dots.push({ x: x / scale, y: y / scale });
      }
    }
    const first = dots[0];
    const second = dots.find((d) => Math.hypot(d.x - first.x, d.y - first.y) > 60);
    const box = canvas.getBoundingClientRect();
    return [first, second].map((d) => d && { x: box.left + d.x, y: box.top + d.y });
  });
  assert.ok(a && b, 'two coloured dots 60 px apart in the scatter');
  const coords = await page.locator('#latent-coords').textContent();
  await page.tap('#interp-pick');
  assert.equal(await page.getAttribute('#interp-pick', 'aria-pressed'), 'true');
  await page.touchscreen.tap(a.x, a.y);
  await page.waitForFunction(() => /^A: .* second point/.test(document.getElementById('interp-hint').textContent));
  // The tap picked a digit; it did not move the ring.
  assert.equal(await page.locator('#latent-coords').textContent(), coords);
  await page.touchscreen.tap(b.x, b.y);
  await page.waitForSelector('#interp-strip:not([hidden])', { timeout: 60_000 });
  assert.equal(await page.getAttribute('#interp-pick', 'aria-pressed'), 'false');
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone the backend is a short phrase whose details open on a tap', { timeout: 300_000 }, async () => {
  const context = await lab.browser.newContext(PHONE);
  const { page, errors } = await open(context, '?backend=cpu');
  const phrase = await page.locator('#backend').textContent();
  assert.equal(phrase, 'CPU, as the link asks');
  assert.equal(await page.getAttribute('#backend', 'aria-expanded'), 'false');
  assert.equal(await page.locator('#backend-details').isVisible(), false);
  await page.tap('#backend');
  await page.waitForSelector('#backend-details', { state: 'visible' });
  assert.equal(await page.getAttribute('#backend', 'aria-expanded'), 'true');
  assert.match(await page.locator('#backend-details').textContent(), /^CPU \(burn-flex.*\) — requested with \?backend=cpu$/);
  await page.tap('#backend');
  await page.waitForSelector('#backend-details', { state: 'hidden' });
  // The header is the phrase and the figures: the first screen is left to the model.
  const header = await page.evaluate(() => document.querySelector('.masthead').getBoundingClientRect().height);
  assert.ok(header <= 220, `the header is ${header} px tall`);
  assert.deepEqual(errors, []);
  // Left to choose, the page names what it found in a few words, whatever this machine has
  // (here a software adapter, which the CPU outruns), and keeps the adapter for the details.
  const { page: auto, errors: autoErrors } = await open(context, '');
  const found = await auto.locator('#backend').textContent();
  assert.match(found, /^(WebGPU|CPU: (no GPU found|only a software GPU|the GPU did not start))$/);
  assert.ok((await auto.locator('#backend-reason').textContent()).length > found.length);
  assert.deepEqual(autoErrors, []);
  await context.close();
});

test('at a desktop\'s size the hints name the keys and the settings are unfolded', { timeout: 300_000 }, async () => {
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, errors } = await open(context, '?backend=cpu&model=ae');
  assert.match(await page.locator('#latent-hint').textContent(), /arrow keys/);
  assert.match(await page.locator('#interp-hint').textContent(), /shift-click.*press i/);
  assert.match(await page.getAttribute('#latent', 'aria-label'), /arrow keys.*Shift-click/);
  assert.ok(await page.locator('#save').isVisible(), 'the checkpoint buttons are shown');
  assert.deepEqual(errors, []);
  await context.close();
});
