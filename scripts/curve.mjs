// Measures a learning curve in the real page: opens it in headless Chromium, picks the model,
// presses Play with the paper preset and prints the whole-test-set figures the page lists
// after each epoch, plus the page's steps per second. A measurement, not a test.
// Usage: node scripts/curve.mjs [ae|ae-classifier|vae|vae-classifier] [epochs] [backend] [seed] [dataset]
import { launchLab } from './chromium.mjs';

const [model = 'ae', epochs = '3', backend = 'cpu', seed, dataset] = process.argv.slice(2);
const lab = await launchLab();
const { base, browser } = lab;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${base}?backend=${backend}${seed ? `&seed=${seed}` : ''}`);
await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 300_000 });
if (model !== 'ae') {
  await page.selectOption('#model', model);
  await page.waitForFunction(() => document.body.dataset.step === '0');
}
if (dataset) {
  await page.selectOption('#dataset-select', dataset);
  await page.waitForFunction((n) => (document.body.dataset.loaded ?? '').split(' ').includes(n) && document.body.dataset.step === '0',
    dataset, { timeout: 300_000 });
}
const started = Date.now();
await page.click('#play');
await page.waitForFunction((n) => document.querySelectorAll('#epoch-results tbody tr').length >= n,
  Number(epochs), { timeout: 0, polling: 1000 });
const seconds = (Date.now() - started) / 1000;
await page.click('#play');
// The table's visible columns (the page hides those the model has no figure for).
const table = await page.$$eval('#epoch-results tr', (trs) => trs.map((tr) =>
  [...tr.cells].filter((c) => c.offsetParent !== null).map((c) => c.textContent.trim())));
const step = await page.evaluate(() => Number(document.body.dataset.step));
console.log(`model ${model} on ${await page.locator('#dataset').textContent()}, backend ${await page.locator('#backend').textContent()}, ${step} steps in ${seconds.toFixed(0)} s (${(step / seconds).toFixed(1)} steps/s including evaluation and drawing)`);
console.log('whole test set after each epoch:');
for (const row of table) console.log(row.map((c) => c.padStart(10)).join(''));
await page.screenshot({ path: `test-artifacts/curve-${model}.png`, fullPage: true });
await lab.close();
