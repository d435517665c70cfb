// Measures a learning curve in the real page: opens it in headless Chromium, picks the model,
// presses Play with the paper preset and prints the whole-test-set figures the page lists
// after each epoch, plus the page's steps per second. A measurement, not a test.
// Usage: node scripts/curve.mjs [ae|ae-classifier] [epochs] [backend] [seed]
import { launchChromium } from './chromium.mjs';
import { serve } from './serve.mjs';

const [model = 'ae', epochs = '3', backend = 'cpu', seed] = process.argv.slice(2);
const server = await serve(0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await launchChromium();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`${base}?backend=${backend}${seed ? `&seed=${seed}` : ''}`);
await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 300_000 });
if (model !== 'ae') {
  await page.selectOption('#model', model);
  await page.waitForFunction(() => document.body.dataset.step === '0');
}
const started = Date.now();
await page.click('#play');
await page.waitForFunction((n) => document.querySelectorAll('#epoch-results tbody tr').length >= n,
  Number(epochs), { timeout: 0, polling: 1000 });
const seconds = (Date.now() - started) / 1000;
await page.click('#play');
const rows = await page.$$eval('#epoch-results tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
const step = await page.evaluate(() => Number(document.body.dataset.step));
console.log(`model ${model}, backend ${await page.locator('#backend').textContent()}, ${step} steps in ${seconds.toFixed(0)} s (${(step / seconds).toFixed(1)} steps/s including evaluation and drawing)`);
console.log('epoch  step  test loss  test MSE  test accuracy  images');
for (const r of rows) console.log(r.map((c, i) => c.padStart([5, 6, 10, 9, 14, 8][i])).join(' '));
await page.screenshot({ path: `test-artifacts/curve-${model}.png`, fullPage: true });
await browser.close();
server.close();
