// The automatic choice of backend measures instead of guessing: with `&probe=force` even this
// machine's software WebGPU adapter is timed against the CPU. The run starts on the CPU at
// once and keeps training while a copy of it is timed on WebGPU; the faster (here the CPU)
// keeps the run and the header says what was measured. The measurement is remembered per
// model and adapter, so a reload settles at once; a remembered WebGPU win moves the run onto
// WebGPU from the step it stands at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lab, step } from './lab.mjs';

const KEY = 'latent-lab.backend-choices';
const header = (page) => page.evaluate(() => ({
  phrase: document.getElementById('backend').textContent,
  reason: document.getElementById('backend-reason').textContent,
}));
const phraseIs = (page, phrase, timeout) => page.waitForFunction((p) => document.getElementById('backend').textContent === p, phrase, { timeout, polling: 250 });
const ready = (page) => page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });

test('auto times WebGPU against the CPU, keeps the faster, and remembers it per model and adapter', { timeout: 600_000 }, async () => {
  const context = await lab.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${lab.base}?backend=auto&probe=force&model=ae`);
  await ready(page);
  assert.equal((await header(page)).phrase, 'CPU, timing WebGPU');

  // The CPU trains while the WebGPU copy compiles and is timed; the CPU is faster here.
  await page.click('#play');
  const decidedAt = Date.now();
  await phraseIs(page, 'CPU: measured faster', 300_000);
  const { reason } = await header(page);
  const [, cpuMs, gpuMs] = reason.match(/^CPU: ([\d.]+) ms\/step, WebGPU: ([\d.]+) ms\/step on this model, using CPU$/) ?? [];
  assert.ok(cpuMs && gpuMs, `the reason gives both times: ${reason}`);
  assert.ok(Number(cpuMs) < Number(gpuMs), reason);
  assert.ok(await step(page) > 50, `the run trained while WebGPU was timed (step ${await step(page)})`);
  console.log(`measured in ${((Date.now() - decidedAt) / 1000).toFixed(0)} s after Play: ${reason}`);
  const remembered = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), KEY);
  const [key] = Object.keys(remembered);
  assert.match(key, /^ae on WebGPU: .* \(software\)$/);
  assert.equal(remembered[key].runKind, 'flex');
  assert.equal(remembered[key].trialKind, 'webgpu');

  // A reload settles from what was remembered, before any step.
  await page.click('#play'); // pause
  await page.reload();
  await ready(page);
  await phraseIs(page, 'CPU: measured faster', 60_000);
  assert.equal((await header(page)).reason, reason);
  assert.equal(await step(page), 0);

  // Remembered the other way (as on a machine with a fast GPU): the run starts on the CPU
  // and moves onto WebGPU once its kernels are compiled, from the step it stands at.
  await page.evaluate(([k, name]) => {
    const all = JSON.parse(localStorage.getItem(k));
    all[name] = { runKind: 'flex', runMs: 15, trialKind: 'webgpu', trialMs: 3.1 };
    localStorage.setItem(k, JSON.stringify(all));
  }, [KEY, key]);
  await page.reload();
  await ready(page);
  await page.click('#step');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.body.dataset.step) === 2, null, { timeout: 60_000 });
  await phraseIs(page, 'WebGPU: measured faster', 300_000);
  assert.equal((await header(page)).reason, 'WebGPU: 3.1 ms/step, CPU: 15 ms/step on this model, using WebGPU');
  await page.click('#step');
  await page.waitForFunction(() => Number(document.body.dataset.step) === 3, null, { timeout: 120_000 });
  assert.match(await page.locator('#backend-label').textContent(), /^WebGPU: /);
  assert.deepEqual(errors, []);
  await context.close();
});
