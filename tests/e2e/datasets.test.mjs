// Datasets in the page: your own folder of images trains the 28x28 models, with a judge
// trained for the DCGAN's meters, and is kept in the browser up to the size you allow; a run
// keeps the data it trained on (a Fashion-MNIST checkpoint brings Fashion-MNIST back, and the
// command line refuses it on MNIST).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { cli } from './cli.mjs';
import { openPage, step, steps } from './lab.mjs';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
mkdirSync(ARTIFACTS, { recursive: true });
const shot = (page, name) => page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
const loaded = (page, name, timeout = 120_000) =>
  page.waitForFunction((n) => (document.body.dataset.loaded ?? '').split(' ').includes(n), name, { timeout });

/** Waits until the header names data whose label starts with `label`. */
const showing = (page, label) => page.waitForFunction(
  (l) => document.getElementById('dataset').textContent.startsWith(l), label, { timeout: 120_000 },
);

/** Downloads the run as the checkpoint file `name`; resolves to its path. */
async function saveCheckpoint(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const saved = join(mkdtempSync(join(tmpdir(), 'latent-lab-')), name);
  await download.saveAs(saved);
  return saved;
}

/** An 8-bit RGBA PNG, as any image editor writes one. */
function png(width, height, rgba) {
  const chunk = (type, data) => {
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(4 + typed.length + 4);
    out.writeUInt32BE(data.length, 0);
    typed.copy(out, 4);
    out.writeUInt32BE(crc32(typed), 4 + typed.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 6; // RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height); // each row: filter 0, then its pixels
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A folder `digits/` of 500 MNIST test digits as 42x42 PNGs in one sub-folder per digit:
 * orange ink, half of them on black and half on transparency; plus a damaged PNG and a
 * README, which the page skips and ignores and says so.
 */
function digitFolder() {
  const root = mkdtempSync(join(tmpdir(), 'latent-lab-own-'));
  const dir = join(root, 'digits');
  const images = readFileSync(new URL('../../data/mnist/t10k-images-idx3-ubyte', import.meta.url)).subarray(16);
  const labels = readFileSync(new URL('../../data/mnist/t10k-labels-idx1-ubyte', import.meta.url)).subarray(8);
  const side = 42;
  for (let i = 0; i < 500; i++) {
    const rgba = Buffer.alloc(side * side * 4);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = images[i * 784 + Math.floor((y * 28) / side) * 28 + Math.floor((x * 28) / side)];
        const o = (y * side + x) * 4;
        if (i % 2) rgba.set([255, 140, 20, v], o); // ink over transparency
        else rgba.set([v, Math.round(v * 0.55), Math.round(v * 0.1), 255], o); // ink on black
      }
    }
    mkdirSync(join(dir, String(labels[i])), { recursive: true });
    writeFileSync(join(dir, String(labels[i]), `${i}.png`), png(side, side, rgba));
  }
  writeFileSync(join(dir, '3', 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really', 'latin1'));
  writeFileSync(join(dir, 'README.txt'), 'MNIST test digits, 42x42, orange\n');
  return dir;
}

test('a folder of your own PNGs trains the autoencoder, the VAE and the MNIST DCGAN', { timeout: 600_000 }, async () => {
  const folder = digitFolder();
  const { page, errors } = await openPage('?backend=cpu');
  await page.setInputFiles('#own-folder', folder);
  await loaded(page, 'digits');
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /^digits: 500 images \(429 to train on, 71 to test\)/);
  assert.match(notice, /resized from 42x42 to 28x28/);
  assert.match(notice, /1 files skipped as unreadable \(digits\/3\/broken\.png/);
  assert.match(notice, /1 files ignored/);
  assert.match(notice, /classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9/);
  assert.ok(await page.locator('#data-preview').isVisible(), 'no preview of the images');
  assert.equal(await page.locator('#dataset-select').inputValue(), 'current');
  assert.match(await page.locator('#dataset').textContent(), /^digits: 429 train · 71 test/);
  for (const model of ['ae', 'vae', 'dcgan-mnist']) {
    if (model !== 'ae') {
      await page.selectOption('#model', model);
      await page.waitForFunction((m) => document.body.dataset.model === m && document.body.dataset.step === '0', model);
    }
    await steps(page, 3);
    assert.match(await page.locator('#dataset').textContent(), /^digits/, `${model} left your data`);
    if (model === 'vae') {
      await page.waitForFunction(() => Number(document.getElementById('latent').dataset.points) === 71, null, { timeout: 60_000 });
      await shot(page, 'own-digits-vae');
    }
  }
  // The DCGAN's meters need a judge of your data: one is trained here on request.
  assert.match(await page.locator('#judge-status').textContent(), /no judge for digits/);
  await page.click('#train-judge');
  const judged = /classifies ([\d.]+) % of its test images right/;
  await page.waitForFunction((re) => new RegExp(re).test(document.getElementById('judge-status').textContent), judged.source, { timeout: 300_000 });
  const accuracy = Number(judged.exec(await page.locator('#judge-status').textContent())[1]);
  assert.ok(accuracy > 60, `the judge of 429 digits classifies ${accuracy} % of 71 right`);
  await steps(page, 1);
  await page.locator('#digit-meters').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await page.locator('#meter-frechet').textContent(), /^\d+\.\d$/);
  assert.equal(await page.locator('#meter-classes').textContent(), '10');
  await page.waitForFunction(() => /^digits \([\d.]+ MB\) is kept in this browser/.test(document.getElementById('keep-status').textContent));
  await shot(page, 'own-digits-judged');

  // Kept with its judge: after a reload the run resumes on them without the files.
  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 6, null, { timeout: 60_000 });
  await page.click('#play'); // a pause keeps the run at the step it stopped at
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');
  await page.waitForFunction(() => {
    const saved = /^Kept in this browser at step ([\d,]+)/.exec(document.getElementById('autosave-status').textContent);
    return saved && Number(saved[1].replace(/,/g, '')) === Number(document.body.dataset.step);
  });
  const kept = await step(page);
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.click('#saved-runs li[data-model="dcgan-mnist"] .resume-run');
  await page.waitForFunction(() => /^Loaded the saved dcgan-mnist run/.test(document.getElementById('notice').textContent), null, { timeout: 120_000 });
  assert.equal(await step(page), kept);
  assert.match(await page.locator('#dataset').textContent(), /^digits: 429 train · 71 test/);
  assert.match(await page.locator('#judge-status').textContent(), /judge of digits came from this browser's storage/);
  await steps(page, 1);
  await page.locator('#digit-meters').waitFor({ state: 'visible', timeout: 60_000 });
  // Another dataset, then the kept one again from the menu.
  await page.selectOption('#dataset-select', 'mnist');
  await showing(page, 'MNIST');
  const keptOption = page.locator('#dataset-select option[value^="kept:"]');
  assert.match(await keptOption.textContent(), /^Kept: digits \([\d.]+ MB\)$/);
  await page.selectOption('#dataset-select', await keptOption.getAttribute('value'));
  await showing(page, 'digits');
  assert.ok(await page.locator('#error').isHidden(), await page.locator('#error').textContent());
  assert.deepEqual(errors, []);
  await page.close();
});

test('your files are kept up to the size you allow', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=ae');
  // Nothing kept: a run on your files asks for them again, by name.
  await page.fill('#keep-mb', '0');
  await page.locator('#keep-mb').dispatchEvent('change');
  await page.setInputFiles('#own-folder', digitFolder());
  await loaded(page, 'digits');
  await page.waitForFunction(() => /^digits \([\d.]+ MB\) is not kept in this browser: it is more than the 0\.0 MB allowed/.test(document.getElementById('keep-status').textContent));
  assert.equal(await page.locator('#dataset-select option[value^="kept:"]').count(), 0, 'a 0 MB limit kept data');
  await steps(page, 2);
  const saved = await saveCheckpoint(page, 'digits.llck');
  await page.selectOption('#dataset-select', 'mnist');
  await showing(page, 'MNIST');
  await page.setInputFiles('#checkpoint-file', saved);
  await page.locator('#error').waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await page.locator('#error').textContent(), /digits\.llck trained on your data 'digits'\. Your data [0-9a-f]{8} is not kept in this browser/);
  assert.match(await page.locator('#dataset').textContent(), /^MNIST/, 'the refusal changed the data');
  // Given again, the checkpoint resumes.
  await page.setInputFiles('#own-folder', digitFolder());
  await showing(page, 'digits');
  await page.setInputFiles('#checkpoint-file', saved);
  await page.waitForFunction(() => /^Loaded digits\.llck: ae after 2 steps/.test(document.getElementById('notice').textContent), null, { timeout: 60_000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('a Fashion-MNIST run resumes on Fashion-MNIST and is refused on MNIST', { timeout: 600_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=vae');
  await page.selectOption('#dataset-select', 'fashion');
  await loaded(page, 'fashion');
  await showing(page, 'Fashion-MNIST');
  assert.match(await page.locator('#digit-legend').textContent(), /T-shirt\/top.*Ankle boot/);
  await steps(page, 3);
  const saved = await saveCheckpoint(page, 'fashion.llck');

  // Back on MNIST, the checkpoint brings its own data back.
  await page.selectOption('#dataset-select', 'mnist');
  await showing(page, 'MNIST');
  await page.setInputFiles('#checkpoint-file', saved);
  await page.waitForFunction(() => /Loaded fashion\.llck: vae after 3 steps/.test(document.getElementById('notice').textContent), null, { timeout: 120_000 });
  assert.match(await page.locator('#dataset').textContent(), /^Fashion-MNIST/);
  assert.equal(await step(page), 3);
  assert.deepEqual(errors, []);
  await page.close();

  // The command line takes it on Fashion-MNIST, and refuses it on MNIST by name.
  assert.equal(JSON.parse(cli('evaluate', '--checkpoint', saved)).step, 3);
  assert.throws(() => cli('evaluate', '--checkpoint', saved, '--dataset', 'mnist'), (e) => {
    assert.match(e.stderr, /this run trained on Fashion-MNIST \([0-9a-f]{8}\), but MNIST \([0-9a-f]{8}\) is loaded/);
    return true;
  });
});
