// Round trips between the native trainer and the page: a checkpoint written by
// `latent-lab train` loads into the wasm Session in headless Chromium and decodes the same
// image at the same latent point as the native `latent-lab evaluate --decode`; the page loads
// it from its controls and saves a checkpoint the native command reads back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchLab } from '../../scripts/chromium.mjs';
import { cli } from './cli.mjs';

let lab;
let browser;
let base;
const dir = mkdtempSync(join(tmpdir(), 'latent-lab-'));
const path = join(dir, 'vae.llck');
const point = [0.7, -1.2];

const nativeDecode = (checkpoint) => JSON.parse(cli('evaluate', '--checkpoint', checkpoint, '--decode', point.join(','))).image;

before(async () => {
  cli('train', '--model', 'vae', '--steps', '40', '--batch-size', '64', '--seed', '3', '--out', path, '--metrics', join(dir, 'm.jsonl'));
  lab = await launchLab();
  ({ base, browser } = lab);
});

after(() => lab?.close());

test('a checkpoint trained natively decodes the same image in the page', { timeout: 600_000 }, async () => {
  const native = nativeDecode(path);
  assert.equal(native.length, 784);

  const page = await browser.newPage();
  await page.goto(base + 'bench'); // any page of the origin: the test imports the package itself
  const result = await page.evaluate(async ({ bytes, point }) => {
    const { default: init, Session } = await import('/pkg/latent_lab.js');
    await init();
    const load = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const session = await Session.create('cpu');
    session.loadIdx('mnist', ...(await Promise.all(files.map((f) => load('/data/mnist/' + f)))));
    const loaded = session.loadCheckpoint(new Uint8Array(bytes));
    const rgba = await session.decode(point[0], point[1]);
    // A damaged copy is refused and the loaded model stays.
    let refusal = null;
    try {
      session.loadCheckpoint(new Uint8Array(bytes.slice(0, bytes.length - 10)));
    } catch (e) {
      refusal = `${e.name}: ${e.message}`;
    }
    const again = await session.decode(point[0], point[1]);
    return {
      model: loaded.config.model,
      step: loaded.step,
      grey: Array.from(rgba).filter((_, i) => i % 4 === 0),
      same: Array.from(again).every((v, i) => v === rgba[i]),
      refusal,
    };
  }, { bytes: Array.from(readFileSync(path)), point });
  await page.close();

  assert.equal(result.model, 'vae');
  assert.equal(result.step, 40);
  // The page draws [0, 1] as grey levels 0-255: the same image within one level.
  const worst = Math.max(...native.map((v, i) => Math.abs(v * 255 - result.grey[i])));
  assert.ok(worst <= 1, `page and native decodes differ by ${worst} grey levels`);
  // Not a blank image that would match anything.
  assert.ok(Math.max(...result.grey) - Math.min(...result.grey) > 50, 'the decoded image is flat');
  assert.match(result.refusal, /^DataError: the checkpoint cannot be loaded: .*truncated/);
  assert.ok(result.same, 'a refused checkpoint changed the loaded model');
});

test('the page loads a checkpoint from its controls and saves one the command line reads', { timeout: 600_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(base);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });

  // A file that is not a checkpoint: a clear message, and the autoencoder stays.
  const junk = join(dir, 'junk.llck');
  writeFileSync(junk, 'not a checkpoint at all');
  await page.setInputFiles('#checkpoint-file', junk);
  await page.locator('#error').waitFor({ state: 'visible' });
  assert.match(await page.locator('#error').textContent(), /junk\.llck: the checkpoint cannot be loaded: this is not a Latent Lab checkpoint/);
  assert.equal(await page.locator('#model').inputValue(), 'ae');

  await page.setInputFiles('#checkpoint-file', path);
  await page.locator('#notice').waitFor({ state: 'visible' });
  // The page's CPU build takes up the optimiser state the command line saved, so nothing more is said.
  assert.equal(await page.locator('#notice').textContent(), 'Loaded vae.llck: vae after 40 steps of training.');
  assert.equal(await page.locator('#model').inputValue(), 'vae');
  assert.equal(await page.locator('#batchSize').inputValue(), '64');
  assert.equal(await page.locator('#step-count').textContent(), '40');
  assert.ok(await page.locator('#error').isHidden(), 'the earlier error is still shown');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  assert.equal(download.suggestedFilename(), 'vae-step40.llck');
  const saved = join(dir, 'saved.llck');
  await download.saveAs(saved);
  await page.screenshot({ path: new URL('../../test-artifacts/checkpoint.png', import.meta.url).pathname, fullPage: true });
  await page.close();
  // Nothing trained in between: the page's checkpoint holds the same weights.
  const [a, b] = [nativeDecode(path), nativeDecode(saved)];
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6), 'the saved weights differ from the loaded ones');
  assert.deepEqual(errors, []);
});
