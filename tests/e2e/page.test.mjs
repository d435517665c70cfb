// End-to-end tests of the served page in headless Chromium (playwright-core driving Debian's
// /usr/bin/chromium). Run by scripts/test.sh with node's test runner; screenshots go to
// test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { lab, step } from './lab.mjs';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });


async function openPage(query = '') {
  const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(lab.base + query);
  return { page, errors };
}

const waitReady = (page, timeout = 120_000) =>
  page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout });
const readLoss = async (page) => {
  const text = await page.locator('#loss-readout').textContent();
  const m = /train loss ([\d.e-]+)/.exec(text);
  assert.ok(m, `no train loss in readout: ${text}`);
  return Number(m[1]);
};
const canvasData = (page, id) => page.evaluate((id) => document.getElementById(id).toDataURL(), id);

/** Drags the latent ring from the centre of the scatter to the fraction (fx, fy) of it and
 * returns the decoded image once it has changed. */
async function dragTo(page, fx, fy) {
  await page.locator('#latent').scrollIntoViewIfNeeded();
  const box = await page.locator('#latent').boundingBox();
  const before = await canvasData(page, 'decoded');
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((b) => document.getElementById('decoded').toDataURL() !== b, before);
  await page.waitForTimeout(300);
  return canvasData(page, 'decoded');
}

test('the autoencoder trains on MNIST in the page (CPU backend)', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await waitReady(page);
  assert.match(await page.locator('#backend').textContent(), /CPU/);
  await shot(page, 'ready');

  await page.click('#step');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1);
  await page.waitForFunction(() => /train loss/.test(document.getElementById('loss-readout').textContent));
  const first = await readLoss(page);

  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 220, null, { timeout: 300_000, polling: 500 });
  await page.click('#play'); // pause
  await page.waitForFunction(() => document.getElementById('play').textContent.trim() === 'Play');
  const at = await step(page);
  assert.ok(at >= 220, `trained ${at} steps`);
  // Let the last chunk's scatter and test loss arrive.
  await page.waitForTimeout(1500);
  const last = await readLoss(page);
  assert.ok(last < 0.8 * first, `train loss should fall: ${first} -> ${last}`);
  assert.match(await page.locator('#loss-readout').textContent(), /test loss [\d.]+/);
  const points = await page.evaluate(() => Number(document.getElementById('loss-chart').dataset.points));
  assert.ok(points >= 200, `loss chart holds ${points} points`);

  // The scatter is drawn with several digit colours.
  const colours = await page.evaluate(() => {
    const c = document.getElementById('latent');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) seen.add(`${r >> 5},${g >> 5},${b >> 5}`);
    }
    return seen.size;
  });
  assert.ok(colours >= 6, `scatter shows ${colours} colours`);
  assert.ok(Number(await page.locator('#latent').getAttribute('data-points')) >= 2000);

  // Dragging the latent point to two places decodes two different images.
  assert.notEqual(await dragTo(page, 0.25, 0.3), await dragTo(page, 0.75, 0.7), 'two latent points decoded to the same image');
  await shot(page, 'trained-ae');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the VAE trains, charts both loss parts, decodes drags, draws its manifold and interpolates', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await waitReady(page);
  await page.selectOption('#model', 'vae');
  await page.waitForFunction(() => document.body.dataset.state === 'ready' && document.getElementById('batchSize').value === '128');
  assert.ok(await page.locator('#beta').isVisible());
  await page.click('#step');
  await page.waitForFunction(() => /train loss/.test(document.getElementById('loss-readout').textContent) && Number(document.body.dataset.step) >= 1);
  const first = await readLoss(page);

  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 210, null, { timeout: 400_000, polling: 500 });
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('play').textContent.trim() === 'Play');
  await page.waitForTimeout(1500);
  const last = await readLoss(page);
  assert.ok(last < 0.8 * first, `VAE loss should fall: ${first} -> ${last}`);
  // Both parts of the loss are charted.
  const parts = await page.evaluate(() => Number(document.getElementById('parts-chart').dataset.points));
  assert.ok(parts >= 400, `parts chart holds ${parts} points`);
  assert.match(await page.locator('#parts-readout').textContent(), /reconstruction [\d.]+.*KL [\d.]+/);

  // Two drags, two different digits.
  assert.notEqual(await dragTo(page, 0.3, 0.3), await dragTo(page, 0.7, 0.7));

  // The decoded manifold is drawn behind the scatter.
  await page.check('#manifold');
  await page.waitForFunction(() => document.getElementById('latent').dataset.manifold === 'drawn', null, { timeout: 60_000 });
  // The scatter of means, and an interpolation between two random digits.
  await page.check('#latent-mode input[value="mean"]');
  await page.focus('#latent');
  await page.keyboard.press('i');
  await page.waitForSelector('#interp-strip:not([hidden])', { timeout: 60_000 });
  await page.waitForTimeout(2000);
  await shot(page, 'trained-vae');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the classifier variant charts accuracy', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await waitReady(page);
  await page.selectOption('#model', 'ae-classifier');
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  for (let i = 0; i < 3; i++) await page.click('#step');
  await page.waitForFunction(() => /\d/.test(document.getElementById('acc-readout')?.textContent ?? ''));
  assert.ok(await page.locator('#acc-chart').isVisible());
  assert.deepEqual(errors, []);
  await page.close();
});

test('bad control values are refused with a message', { timeout: 120_000 }, async () => {
  const { page } = await openPage('?backend=cpu');
  await waitReady(page);
  await page.fill('#learningRate', '-1');
  await page.dispatchEvent('#learningRate', 'change');
  await page.waitForSelector('#error:not([hidden])');
  assert.match(await page.locator('#error').textContent(), /learning rate must be a positive number/);
  await page.fill('#learningRate', '0.001');
  await page.fill('#batchSize', '0');
  await page.dispatchEvent('#batchSize', 'change');
  await page.waitForFunction(() => /batch size must be between 1 and 60000/.test(document.getElementById('error').textContent));
  await page.close();
});

test('a corrupted MNIST file gives a clear error on the page', { timeout: 120_000 }, async () => {
  const page = await lab.browser.newPage();
  const real = readFileSync(new URL('../../data/mnist/t10k-images-idx3-ubyte.gz', import.meta.url));
  // Truncated: the gzip stream ends early.
  await page.route('**/data/mnist/t10k-images-idx3-ubyte.gz', (route) =>
    route.fulfill({ status: 200, contentType: 'application/gzip', body: real.subarray(0, 123456) }));
  await page.goto(lab.base + '?backend=cpu');
  await page.waitForSelector('#error:not([hidden])', { timeout: 120_000 });
  const text = await page.locator('#error').textContent();
  assert.match(text, /t10k-images-idx3-ubyte/);
  assert.match(text, /truncated/);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
  await shot(page, 'corrupt-mnist');

  // A missing file says so too.
  await page.unroute('**/data/mnist/t10k-images-idx3-ubyte.gz');
  await page.route('**/data/mnist/train-labels-idx1-ubyte.gz', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.reload();
  await page.waitForSelector('#error:not([hidden])', { timeout: 120_000 });
  assert.match(await page.locator('#error').textContent(), /train-labels-idx1-ubyte.gz could not be fetched \(HTTP 404\)/);
  await page.close();
});

test('the WGAN trains live on polynomial images: losses, samples, noise plane, bad .npy', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await waitReady(page);
  await page.selectOption('#model', 'wgan-poly');
  // The polynomial images are made in the worker the first time a polynomial GAN is picked:
  // nothing is downloaded for them.
  const downloads = [];
  page.on('request', (request) => downloads.push(new URL(request.url()).pathname));
  await page.waitForFunction(() => document.body.dataset.family === 'gan' && document.body.dataset.slot === 'side40'
    && /^polynomial images: 20,000 train$/.test(document.getElementById('dataset').textContent), null, { timeout: 180_000 });
  assert.deepEqual(downloads.filter((path) => path.startsWith('/data/')), []);
  // The model starts once the data is in: the CPU backend for a GAN is burn-flex.
  await page.waitForFunction(() => /burn-flex/.test(document.getElementById('backend-label').textContent), null, { timeout: 60_000 });
  assert.match(await page.locator('#preset').textContent(), /Preset: live/);
  await page.waitForFunction(() => document.getElementById('samples-caption').textContent.includes('step 0'));
  const firstGrid = await canvasData(page, 'samples');

  await page.click('#play');
  await page.waitForTimeout(60_000);
  await page.click('#play'); // pause
  await page.waitForFunction(() => document.getElementById('play').textContent.trim() === 'Play');
  const at = await step(page);
  assert.ok(at >= 5, `trained ${at} steps in a minute`);
  // The loss chart has points of both curves, and the grid changed as the generator learned.
  assert.ok(Number(await page.locator('#gan-chart').getAttribute('data-points')) >= 4 * Math.min(at, 5));
  assert.match(await page.locator('#gan-readout').textContent(), /Wasserstein estimate \(−critic loss\) -?\d/);
  await page.waitForFunction((b) => document.getElementById('samples').toDataURL() !== b, firstGrid, { timeout: 30_000 });
  assert.equal(await page.locator('#timeline').isDisabled(), false, 'the timeline scrubs once there are two snapshots');
  await page.waitForFunction(() => !document.getElementById('meters').hidden, null, { timeout: 60_000 });

  // Dragging across the noise plane changes the generated image.
  const a = await dragTo(page, 0.2, 0.25);
  const b = await dragTo(page, 0.8, 0.75);
  assert.notEqual(a, b, 'two noise points gave the same image');
  assert.match(await page.locator('#decoded-caption').textContent(), /generated from noise/);
  await shot(page, 'wgan');

  // A malformed .npy, chosen with the button, is refused with a message that names it.
  await page.setInputFiles('#own-files', { name: 'broken.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('\x93NUMPY\x01\x00garbage') });
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
  assert.match(await page.locator('#error').textContent(), /broken\.npy: /);
  await shot(page, 'bad-npy');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the MNIST DCGAN trains and the frozen classifier judges its samples', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await waitReady(page);
  await page.selectOption('#model', 'dcgan-mnist');
  await page.waitForFunction(() => document.body.dataset.model === 'dcgan-mnist' && document.body.dataset.step === '0');
  await page.click('#play');
  // The judge (data/mnist-judge.bpk) is fetched on the first pick; its meters follow.
  await page.waitForFunction(() => !document.getElementById('digit-meters').hidden, null, { timeout: 120_000 });
  await page.click('#play');
  const bars = await page.$$eval('#meter-histogram .bar', (b) => b.map((bar) => Number(bar.title.split(' ')[0])));
  assert.equal(bars.length, 10);
  assert.equal(bars.reduce((a, b) => a + b, 0), 256);
  const confidence = Number(await page.locator('#meter-confidence').textContent());
  assert.ok(confidence > 0 && confidence <= 1, `confidence ${confidence}`);
  assert.ok(Number(await page.locator('#meter-real-confidence').textContent()) > 0.95);
  assert.equal(await page.locator('#meter-real-covered').textContent(), '10');
  assert.ok(Number(await page.locator('#meter-frechet').textContent()) > Number(await page.locator('#meter-real-frechet').textContent()));
  assert.equal(await page.locator('#meters').isVisible(), false, 'the polynomial meters stay hidden');
  await shot(page, 'dcgan-mnist');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page trains on WebGPU when asked (software adapter)', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=webgpu');
  await waitReady(page, 180_000);
  assert.match(await page.locator('#backend').textContent(), /WebGPU/);
  await page.fill('#batchSize', '32');
  await page.dispatchEvent('#batchSize', 'change');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 1, null, { timeout: 240_000 });
  await shot(page, 'webgpu');
  assert.deepEqual(errors, []);
  await page.close();
});
