// Never losing a run (issue 6): a checkpoint resumes the run through the Session API,
// the page's run set-up lives in its URL (and bad values there are refused with a message),
// and a learning rate that makes the loss diverge pauses training and rolls back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab, openPage } from './lab.mjs';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);


// The page's CPU build (pkg/) takes up the optimiser state too, so every later step matches,
// as natively (tests/resume.rs). (The WebGPU build cannot: see train::optimizer_state_loads.)
test('a checkpoint resumes the run: the next step gives the same loss', { timeout: 300_000 }, async () => {
  const page = await lab.browser.newPage();
  await page.goto(lab.base + 'bench'); // any page of the origin: the test imports the package itself
  const result = await page.evaluate(async () => {
    const { default: init, Session } = await import('/pkg/latent_lab.js');
    await init();
    const load = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
    const mnist = await Promise.all(files.map((f) => load('/data/mnist/' + f)));
    const out = {};
    for (const [model, batchSize] of [['vae', 64], ['dcgan-mnist', 16]]) {
      const a = await Session.create('cpu');
      a.loadIdx('mnist', ...mnist);
      a.configure({ model, batchSize, seed: 5 });
      await a.train(3);
      const bytes = await a.checkpoint('{"version":1,"metrics":[],"evals":[]}');
      const next = await a.train(2);
      const b = await Session.create('cpu');
      b.loadIdx('mnist', ...mnist);
      const loaded = b.loadCheckpoint(bytes);
      const resumed = await b.train(2);
      const values = (r) => Array.from(r.losses ?? [...r.criticLosses, ...r.generatorLosses]);
      out[model] = {
        step: loaded.step, note: loaded.optimizerNote, history: loaded.history, next: values(next), resumed: values(resumed), at: resumed.firstStep,
      };
      a.free();
      b.free();
    }
    return out;
  });
  await page.close();
  for (const [model, r] of Object.entries(result)) {
    assert.equal(r.step, 3, model);
    assert.equal(r.at, 4, `${model}: the resumed run counts on from the checkpoint`);
    assert.equal(r.history, '{"version":1,"metrics":[],"evals":[]}', model);
    assert.ok(r.next.every(Number.isFinite), model);
    assert.equal(r.note, null, `${model}: the optimiser state was not taken up`);
    // Same weights, optimiser state, data order and random draws: the same losses, bit for bit.
    assert.deepEqual(r.resumed, r.next, `${model}: the resumed run took other steps`);
  }
});

test("the run's set-up lives in the URL; bad values there are refused with a message", { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=vae&seed=7&batchSize=64&learningRate=0.002');
  await page.waitForFunction(() => document.getElementById('model').value === 'vae', null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('batchSize').value === '64');
  assert.equal(await page.locator('#learningRate').inputValue(), '0.002');
  // A change in the controls goes into the URL, so the link reproduces it.
  await page.fill('#batchSize', '32');
  await page.dispatchEvent('#batchSize', 'change');
  await page.waitForFunction(() => new URLSearchParams(location.search).get('batchSize') === '32');
  const url = new URL(page.url());
  assert.deepEqual(
    ['backend', 'model', 'seed', 'learningRate'].map((k) => url.searchParams.get(k)),
    ['cpu', 'vae', '7', '0.002'],
  );
  await page.close();

  // An unknown model and a negative batch size: said on the page, the rest still applies.
  const bad = await openPage('?backend=cpu&model=nonsense&batchSize=-3&seed=9');
  await bad.page.waitForSelector('#error:not([hidden])', { timeout: 60_000 });
  await bad.page.waitForFunction(() => new URLSearchParams(location.search).get('seed') === '9', null, { timeout: 60_000 });
  const message = await bad.page.locator('#error').textContent();
  assert.match(message, /unknown model 'nonsense'|the batch size must be/);
  assert.equal(await bad.page.locator('#model').inputValue(), 'ae');
  assert.equal(await bad.page.locator('#batchSize').inputValue(), '256');
  await bad.page.close();
  assert.deepEqual(errors.concat(bad.errors), []);
});

test('a diverging learning rate pauses training and rolls back with a lower one', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu&model=vae&learningRate=10');
  await page.waitForFunction(() => document.getElementById('model').value === 'vae', null, { timeout: 60_000 });
  await page.click('#play');
  await page.locator('#diverged').waitFor({ state: 'visible', timeout: 180_000 });
  const message = await page.locator('#diverged-message').textContent();
  assert.match(message, /^Training stopped: the loss (became NaN|became inf|exploded to .*) at step \d+\. The run can go back to step \d+/);
  // Training has stopped by itself.
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');
  const stoppedAt = await page.evaluate(() => Number(document.body.dataset.step));
  await page.waitForTimeout(1000);
  assert.equal(await page.evaluate(() => Number(document.body.dataset.step)), stoppedAt, 'training went on');
  await page.screenshot({ path: new URL('diverged.png', ARTIFACTS).pathname });

  await page.click('#rollback');
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.locator('#notice').textContent(), /^Rolled back to step \d+/);
  assert.ok(await page.locator('#diverged').isHidden());
  assert.equal(await page.locator('#learningRate').inputValue(), '1');
  assert.equal(new URL(page.url()).searchParams.get('learningRate'), '1');
  assert.ok(await page.evaluate(() => Number(document.body.dataset.step)) < stoppedAt, 'the step count did not go back');
  assert.deepEqual(errors, []);
  await page.close();
});

/** Pretends the tab was hidden or shown again (headless Chromium's tabs are never hidden). */
const setVisibility = (page, state) => page.evaluate((state) => {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}, state);

test('the run is kept in the browser, pauses while hidden if asked, and is offered again after a reload', { timeout: 300_000 }, async () => {
  const { page, errors } = await openPage('?backend=cpu');
  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 20, null, { timeout: 60_000 });
  // Hidden with "pause while hidden" ticked: training pauses and the run is kept at once.
  await page.check('#pause-hidden');
  // (The run is also kept every few seconds while it trains: only the save on hiding counts.)
  await page.evaluate(() => (document.getElementById('autosave-status').textContent = ''));
  await setVisibility(page, 'hidden');
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');
  await page.waitForFunction(() => /^Kept in this browser at step/.test(document.getElementById('autosave-status').textContent));
  const kept = Number(/step ([\d,]+)/.exec(await page.locator('#autosave-status').textContent())[1].replace(/,/g, ''));
  assert.ok(kept >= 20, `kept at step ${kept}`);
  // Shown again: it goes on by itself.
  await setVisibility(page, 'visible');
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Pause');
  await page.click('#play');
  await page.waitForFunction(() => document.getElementById('play').textContent === 'Play');

  // A reload offers the kept run; resuming it brings back its step and its curves.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await page.locator('#saved-runs li[data-model="ae"]').textContent(), /^Autoencoder: step [\d,]+, saved just now/);
  await page.click('#saved-runs li[data-model="ae"] .resume-run');
  await page.locator('#notice').waitFor({ state: 'visible' });
  assert.match(await page.locator('#notice').textContent(), /^Loaded the saved ae run: ae after \d+ steps of training\./);
  const resumedAt = await page.evaluate(() => Number(document.body.dataset.step));
  assert.ok(resumedAt >= kept, `resumed at step ${resumedAt}, kept at ${kept}`);
  assert.match(await page.locator('#loss-readout').textContent(), /train loss \d/, 'the curves did not come back');
  await page.screenshot({ path: new URL('resumed.png', ARTIFACTS).pathname });

  // Discarded, it is no longer offered.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.locator('#resume').waitFor({ state: 'visible', timeout: 30_000 });
  await page.click('#saved-runs li[data-model="ae"] .discard-run');
  await page.locator('#resume').waitFor({ state: 'hidden' });
  assert.deepEqual(errors, []);
  await page.close();
});

// A real device loss, not a simulated one: Chromium's GPU process is crashed (DevTools'
// Browser.crashGpuProcess), which loses every WebGPU device in the browser. The run must move
// to the CPU from its last good state and train on there, with no error and no blank page.
test('a lost GPU device moves the run to the CPU, from its last good state', { timeout: 420_000 }, async () => {
  const { page, errors } = await openPage('?model=ae&backend=webgpu&batchSize=64');
  assert.match(await page.locator('#backend').textContent(), /^WebGPU/);
  await page.click('#play');
  await page.waitForFunction(() => Number(document.body.dataset.step) >= 3, null, { timeout: 300_000 });
  const lostAt = await page.evaluate(() => Number(document.body.dataset.step));
  const cdp = await lab.browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');
  await page.waitForFunction(() => /^The GPU failed/.test(document.getElementById('notice').textContent), null, { timeout: 60_000 });
  const notice = await page.locator('#notice').textContent();
  assert.match(notice, /the WebGPU device was lost|reading results back from the device failed/, notice);
  const from = Number(/from step (\d+), its last good state/.exec(notice)?.[1]);
  assert.ok(from <= lostAt + 2, `went on from step ${from}, the GPU was lost near step ${lostAt}`);
  assert.match(await page.locator('#backend').textContent(), /^CPU/);
  // Training goes on by itself, on the CPU, and the loss stays a number.
  await page.waitForFunction((s) => Number(document.body.dataset.step) >= s + 50, from, { timeout: 120_000 });
  assert.equal(await page.locator('#play').textContent(), 'Pause');
  assert.match(await page.locator('#loss-readout').textContent(), /train loss \d/);
  assert.ok(await page.locator('#error').isHidden(), await page.locator('#error').textContent());
  await page.screenshot({ path: new URL('gpu-lost.png', ARTIFACTS).pathname });
  assert.deepEqual(errors, []);
  await cdp.detach();
  await page.close();
});
