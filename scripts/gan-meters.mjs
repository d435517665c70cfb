// Measures a GAN's quality in the real page: opens it in headless Chromium, picks the model
// (live preset), presses Play and prints the quality meters the page shows as training goes,
// for `seconds` of training, then the last ones in full (the polynomial GANs' degree
// histograms with them). Several models, comma-separated, run one after the other, each in
// a page of its own. A measurement, not a test.
// Usage: node scripts/gan-meters.mjs [dcgan-mnist|dcgan-poly|wgan-poly[,...]] [seconds] [backend] [seed]
import { launchLab } from './chromium.mjs';

const [models = 'wgan-poly', seconds = '180', backend = 'cpu', seed] = process.argv.slice(2);
const lab = await launchLab();
const { base, browser } = lab;

async function measure(model) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${base}?backend=${backend}${seed ? `&seed=${seed}` : ''}`);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 300_000 });
  await page.selectOption('#model', model);
  await page.waitForFunction((m) => document.body.dataset.model === m && document.body.dataset.step === '0', model);
  // A polynomial GAN starts once its images are made (the first time it is picked).
  if (model.endsWith('-poly')) {
    await page.waitForFunction(() => (document.body.dataset.loaded ?? '').split(' ').includes('poly'),
      null, { timeout: 600_000 });
  }
  const list = model === 'dcgan-mnist' ? '#digit-meters' : '#meters';
  const read = () => page.evaluate((list) => {
    // A histogram's counts: each bar's title starts with its count.
    const counts = (selector) => [...document.querySelectorAll(`${selector} .bar`)].map((b) => b.title.split(' ')[0]);
    return {
      step: Number(document.body.dataset.step),
      note: document.getElementById('meters-note').textContent,
      meters: [...document.querySelectorAll(`${list} .meter`)].map((m) => `${(m.querySelector('dt span') ?? m.querySelector('dt')).textContent}: ${m.querySelector('dd > span')?.textContent ?? ''}`).filter((t) => !t.endsWith(': ')),
      histogram: counts('#meter-histogram'),
      degrees: counts('#meter-degrees'),
      realDegrees: counts('#meter-real-degrees'),
    };
  }, list);
  const started = Date.now();
  await page.click('#play');
  let lastNote = '';
  let last = null;
  while ((Date.now() - started) / 1000 < Number(seconds)) {
    await page.waitForTimeout(1000);
    const now = await read();
    if (now.note && now.note !== lastNote) {
      lastNote = now.note;
      last = now;
      const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
      const histogram = model === 'dcgan-mnist' ? now.histogram : now.degrees;
      console.log(`${t} s  ${now.note}: ${now.meters.join(' · ')}${histogram.length ? `  [${histogram.join(' ')}]` : ''}`);
    }
  }
  const end = await read();
  await page.click('#play');
  console.log(`model ${model}, backend ${await page.locator('#backend-label').textContent()}: ${end.step} steps in ${seconds} s (${(end.step / Number(seconds)).toFixed(2)} steps/s in the page); last meters: ${last?.note ?? 'none'}`);
  if (last?.degrees.length) {
    console.log(`  degrees 0 1 2 3 4 >4: samples [${last.degrees.join(' ')}], real [${last.realDegrees.join(' ')}], ${last.meters.find((m) => m.startsWith('Degree')) ?? ''}`);
  }
  await page.screenshot({ path: `test-artifacts/meters-${model}.png`, fullPage: true });
  await page.close();
}

for (const model of models.split(',')) await measure(model);
await lab.close();
