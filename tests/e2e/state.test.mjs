// The page's state stays the Session's: data meant for one model never restarts another
// model's run, a link keeps every refusal and the page reads its own links, and a refused
// value goes back to the value in force and blocks no other edit. (The same rules are
// tested natively in tests/session.rs.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, step, steps } from './lab.mjs';

const param = (page, key) => new URL(page.url()).searchParams.get(key);

/** A valid .npy of `count` 40x40 float32 images. */
function npy(count) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${count}, 40, 40), }`;
  header = header.padEnd(128 - 10 - 1, ' ') + '\n';
  const head = Buffer.concat([Buffer.from('\x93NUMPY\x01\x00', 'latin1'), Buffer.from([header.length, 0]), Buffer.from(header)]);
  const data = new Float32Array(count * 1600).map((_, i) => Math.sin(i / 37) * 0.1);
  return Buffer.concat([head, Buffer.from(data.buffer)]);
}

test('data that is refused, or meant for another model, never restarts a run', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await steps(page, 3);
  // Your own file, refused: the run it would have replaced goes on.
  await page.setInputFiles('#own-files', { name: 'mine.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(npy(64)).subarray(0, 200) });
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
  assert.match(await page.locator('#error').textContent(), /mine\.npy: /);
  assert.equal(await step(page), 3, 'refused data reset the run');
  await page.close();

  // Picking the WGAN (whose data is fetched) and going back to the autoencoder at once: the
  // data's arrival leaves the autoencoder's new run alone.
  const race = await openPage('?backend=cpu');
  await race.page.selectOption('#model', 'wgan-poly');
  await race.page.selectOption('#model', 'ae');
  await race.page.waitForFunction(() => document.body.dataset.model === 'ae' && document.body.dataset.state === 'ready');
  await steps(race.page, 2);
  await race.page.waitForFunction(() => (document.body.dataset.loaded ?? '').includes('poly'), null, { timeout: 180_000 });
  await race.page.waitForTimeout(1000);
  assert.equal(await step(race.page), 2, 'the arrival of the polynomial images reset the autoencoder');
  assert.equal(await race.page.locator('#model').inputValue(), 'ae');
  assert.deepEqual(errors.concat(race.errors), []);
  await race.page.close();
});

test('a link keeps each refusal, and the page reads the links it writes', { timeout: 300_000 }, async () => {
  // A refused model and an accepted seed: the refusal stays on the page.
  const a = await openPage('?backend=cpu&model=nonsense&seed=9');
  await a.page.waitForFunction(() => new URLSearchParams(location.search).get('seed') === '9', null, { timeout: 60_000 });
  await a.page.waitForTimeout(1500);
  assert.ok(await a.page.locator('#error').isVisible(), 'the refusal of the model vanished');
  assert.match(await a.page.locator('#error').textContent(), /unknown model 'nonsense'/);
  await a.page.close();

  // A refused learning rate and an accepted beta: the refusal stays, beta is in force.
  const b = await openPage('?backend=cpu&model=vae&learningRate=-1&beta=0.5');
  await b.page.waitForFunction(() => document.getElementById('beta')?.value === '0.5', null, { timeout: 60_000 });
  await b.page.waitForTimeout(1500);
  assert.match(await b.page.locator('#error').textContent(), /learning rate must be a positive number/);
  assert.ok(await b.page.locator('#error').isVisible(), 'the learning-rate refusal vanished');
  assert.equal(await b.page.locator('#learningRate').inputValue(), '0.001');
  await b.page.close();

  // The autoencoder's own link (no preset: it has one) loads without a refusal.
  const c = await openPage('?backend=cpu');
  const own = new URL(c.page.url()).search;
  assert.equal(param(c.page, 'preset'), null, own);
  await c.page.close();
  const d = await openPage(own);
  await d.page.waitForTimeout(1500);
  assert.ok(await d.page.locator('#error').isHidden(), `the page refused its own link ${own}`);
  assert.deepEqual(a.errors.concat(b.errors, c.errors, d.errors), []);
  await d.page.close();
});

test('a refused value goes back to the value in force and blocks no other edit', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=vae');
  await page.fill('#learningRate', '-1');
  await page.dispatchEvent('#learningRate', 'change');
  await page.waitForFunction(() => !document.getElementById('learningRate-error').hidden, null, { timeout: 30_000 });
  assert.match(await page.locator('#learningRate-error').textContent(), /learning rate must be a positive number/);
  assert.equal(await page.locator('#learningRate').inputValue(), '0.001', 'the box shows a value not in force');
  // Another control's edit is taken on its own.
  await page.fill('#beta', '0.5');
  await page.dispatchEvent('#beta', 'change');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('beta') === '0.5', null, { timeout: 30_000 });
  assert.equal(param(page, 'learningRate'), null);
  assert.ok(await page.locator('#beta-error').isHidden());
  assert.deepEqual(errors, []);
  await page.close();
});

test('a GAN picked after the ring was moved starts with the ring at the centre of its noise plane', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=ae');
  await page.locator('#latent').focus();
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowUp');
  }
  assert.notEqual(await page.locator('#latent-coords').textContent(), 'z = (0.00, 0.00)');
  await page.selectOption('#model', 'wgan-poly');
  // The first image the GAN generates for the ring says where the ring was.
  await page.waitForFunction(() => document.getElementById('decoded-caption').textContent.startsWith('generated from noise'), null, { timeout: 120_000 });
  assert.equal(await page.locator('#decoded-caption').textContent(), 'generated from noise = (0.00, 0.00)');
  assert.equal(await page.locator('#latent-coords').textContent(), 'z = (0.00, 0.00)');
  assert.deepEqual(errors, []);
  await page.close();
});
