// The soak: trains a model in the real page for a long time and reports whether memory stays
// flat: the wasm linear memory (the worker's Rust heap), the page's JavaScript heap and the
// renderer processes' resident memory (which holds the worker's JavaScript heap too), every
// `every` seconds. A measurement, not a test: it prints a table and a verdict (growth after
// the first `settle` minutes) and writes test-artifacts/soak.json.
// Usage: node scripts/soak.mjs [--model ae] [--minutes 30] [--every 60] [--settle 5] [--backend cpu] [--chaos]
// With --chaos it is also a test of the page under a restless user: every `every` seconds
// (use 30) it picks the next model and trains it, and in between edits controls at random
// (valid and invalid values), drops .npy files on the GANs and saves and reloads checkpoints.
// It fails (exit 1) if the worker dies or a kept run is lost or kept under another model's
// name; the table then shows the wasm memory at each switch.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { launchLab } from './chromium.mjs';
import { npy } from './npy.mjs';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string', default: 'ae' },
    minutes: { type: 'string', default: '30' },
    every: { type: 'string', default: '60' },
    settle: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'cpu' },
    chaos: { type: 'boolean', default: false },
  },
});
const [minutes, every, settle] = [opt.minutes, opt.every, opt.settle].map(Number);
const MB = 2 ** 20;

/** Resident memory (bytes) of the renderer processes of the browser this script started
 * (its descendants: other Chromiums on the machine are not counted). */
function rendererRss() {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' }).split('\n').filter(Boolean)
    .map((l) => {
      const [pid, ppid, rss, ...args] = l.trim().split(/\s+/);
      return { pid: Number(pid), ppid: Number(ppid), rss: 1024 * Number(rss), args: args.join(' ') };
    });
  const ours = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) if (ours.has(r.ppid) && !ours.has(r.pid)) grew = ours.add(r.pid) && true;
  }
  return rows.filter((r) => ours.has(r.pid) && r.args.includes('--type=renderer')).reduce((sum, r) => sum + r.rss, 0);
}

const lab = await launchLab();
const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
const cdp = await page.context().newCDPSession(page);
await page.goto(`${lab.base}?backend=${opt.backend}&model=${opt.model}`);
await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 300_000 });
await page.waitForFunction((m) => document.body.dataset.model === m, opt.model, { timeout: 600_000 });
await page.click('#play');

// The restless user of --chaos: a random generator with a fixed seed, so a failure repeats.
let seed = 1;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (list) => list[Math.floor(random() * list.length)];
const models = await page.evaluate(() => [...document.querySelectorAll('#model option')].map((o) => o.value));
const failures = [];
async function act() {
  const roll = random();
  if (roll < 0.6) {
    // A control edit: a nearby value, or one the page must refuse.
    const fields = await page.evaluate(() => [...document.querySelectorAll('#control-fields .field:not([hidden]) input')].map((i) => i.id));
    if (!fields.length) return;
    const id = pick(fields);
    const now = Number(await page.locator(`#${id}`).inputValue());
    const value = pick([now * 0.5, now * 2, now, -1, 'abc', 1e12, 4294967312, 0]);
    // Set as a script would: a number box takes no typed letters, but its value can still be junk.
    await page.evaluate(({ id, value }) => {
      const box = document.getElementById(id);
      box.value = value;
      box.dispatchEvent(new Event('change', { bubbles: true }));
    }, { id, value: String(value) });
  } else if (roll < 0.8) {
    // A checkpoint saved and loaded again.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click('#save')]);
    const path = await download.path();
    await page.setInputFiles('#checkpoint-file', path);
  } else if (await page.evaluate(() => document.body.dataset.family === 'gan' && document.body.dataset.data === 'poly')) {
    await page.setInputFiles('#own-files', { name: 'mine.npy', mimeType: 'application/octet-stream', buffer: npy(64 + Math.floor(random() * 200), () => (random() - 0.5) / 20) });
  }
}
/** Every kept run's key against the model its checkpoint names. */
const keptRuns = () => page.evaluate(() => new Promise((resolve) => {
  const request = indexedDB.open('latent-lab');
  request.onsuccess = () => {
    const get = request.result.transaction('runs').objectStore('runs').getAll();
    get.onsuccess = () => resolve(get.result.map(({ model, step, bytes }) => {
      const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const length = new DataView(b.buffer, b.byteOffset).getUint32(8, true);
      const header = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + length)));
      return { model, step, named: header.settings.model };
    }));
  };
}));

const samples = [];
const started = Date.now();
let switches = 0;
console.log('minute   step   wasm MB   page JS heap MB   renderer RSS MB' + (opt.chaos ? '   model' : ''));
for (;;) {
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const { step, wasm, model, state } = await page.evaluate(() => ({
    step: Number(document.body.dataset.step),
    wasm: Number(document.body.dataset.wasmMemory ?? NaN),
    model: document.body.dataset.model,
    state: document.body.dataset.state,
  }));
  const s = { minute: (Date.now() - started) / 60_000, step, wasm, heap: usedSize, rss: rendererRss(), model };
  samples.push(s);
  console.log(`${s.minute.toFixed(1).padStart(6)} ${String(step).padStart(6)} ${(wasm / MB).toFixed(1).padStart(9)} ${(s.heap / MB).toFixed(1).padStart(17)} ${(s.rss / MB).toFixed(1).padStart(17)}${opt.chaos ? `   ${model}` : ''}`);
  if (state === 'crashed' || state === 'error') failures.push(`minute ${s.minute.toFixed(1)}: the page is in state '${state}'`);
  if (s.minute >= minutes || failures.length) break;
  if (!opt.chaos) {
    await page.waitForTimeout(every * 1000);
    continue;
  }
  const until = Date.now() + every * 1000;
  while (Date.now() < until - 6000) {
    await act().catch((e) => console.log(`  (an action failed: ${e.message.split('\n')[0]})`));
    await page.waitForTimeout(5000);
  }
  for (const run of await keptRuns()) {
    if (run.model !== run.named) failures.push(`the run kept as ${run.model} is a checkpoint of ${run.named}`);
  }
  switches += 1;
  await page.selectOption('#model', models[switches % models.length]);
  await page.waitForFunction((m) => document.body.dataset.model === m && document.body.dataset.state === 'ready', models[switches % models.length], { timeout: 600_000 });
  if ((await page.locator('#play').textContent()) === 'Play') await page.click('#play');
  await page.waitForTimeout(Math.max(0, until - Date.now()));
}
await lab.close();

// Growth after the settling minutes: the last sample against the first one past them.
const settled = samples.find((s) => s.minute >= settle) ?? samples[0];
const last = samples[samples.length - 1];
const growth = Object.fromEntries(['wasm', 'heap', 'rss'].map((k) => [k, (last[k] - settled[k]) / MB]));
console.log(`\nafter minute ${settled.minute.toFixed(1)}: wasm ${growth.wasm.toFixed(1)} MB, page JS heap ${growth.heap.toFixed(1)} MB, renderer RSS ${growth.rss.toFixed(1)} MB (${last.step - settled.step} steps)`);
mkdirSync(new URL('../test-artifacts/', import.meta.url), { recursive: true });
writeFileSync(new URL('../test-artifacts/soak.json', import.meta.url), JSON.stringify({ options: opt, samples, growth }, null, 1));
if (opt.chaos) {
  // Memory between switches: the wasm memory at each visit of the same model, first against last.
  for (const model of models) {
    const visits = samples.filter((x) => x.model === model);
    if (visits.length > 1) console.log(`${model}: wasm ${(visits[0].wasm / MB).toFixed(1)} MB at its first visit, ${(visits.at(-1).wasm / MB).toFixed(1)} MB at its last (${visits.length} visits)`);
  }
  console.log(`${switches} model switches; ${failures.length ? failures.join('; ') : 'the worker never died and every kept run is under its own name'}`);
  if (failures.length) process.exitCode = 1;
}
