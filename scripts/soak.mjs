// The soak: trains a model in the real page for a long time and reports whether memory stays
// flat: the wasm linear memory (the worker's Rust heap), the page's JavaScript heap and the
// renderer processes' resident memory (which holds the worker's JavaScript heap too), every
// `every` seconds. A measurement, not a test: it prints a table and a verdict (growth after
// the first `settle` minutes) and writes test-artifacts/soak.json.
// Usage: node scripts/soak.mjs [--model ae] [--minutes 30] [--every 60] [--settle 5] [--backend cpu]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { launchLab } from './chromium.mjs';

const { values: opt } = parseArgs({
  options: {
    model: { type: 'string', default: 'ae' },
    minutes: { type: 'string', default: '30' },
    every: { type: 'string', default: '60' },
    settle: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'cpu' },
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

const samples = [];
const started = Date.now();
console.log('minute   step   wasm MB   page JS heap MB   renderer RSS MB');
for (;;) {
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const { step, wasm } = await page.evaluate(() => ({
    step: Number(document.body.dataset.step),
    wasm: Number(document.body.dataset.wasmMemory ?? NaN),
  }));
  const s = { minute: (Date.now() - started) / 60_000, step, wasm, heap: usedSize, rss: rendererRss() };
  samples.push(s);
  console.log(`${s.minute.toFixed(1).padStart(6)} ${String(step).padStart(6)} ${(wasm / MB).toFixed(1).padStart(9)} ${(s.heap / MB).toFixed(1).padStart(17)} ${(s.rss / MB).toFixed(1).padStart(17)}`);
  if (s.minute >= minutes) break;
  await page.waitForTimeout(every * 1000);
}
await lab.close();

// Growth after the settling minutes: the last sample against the first one past them.
const settled = samples.find((s) => s.minute >= settle) ?? samples[0];
const last = samples[samples.length - 1];
const growth = Object.fromEntries(['wasm', 'heap', 'rss'].map((k) => [k, (last[k] - settled[k]) / MB]));
console.log(`\nafter minute ${settled.minute.toFixed(1)}: wasm ${growth.wasm.toFixed(1)} MB, page JS heap ${growth.heap.toFixed(1)} MB, renderer RSS ${growth.rss.toFixed(1)} MB (${last.step - settled.step} steps)`);
mkdirSync(new URL('../test-artifacts/', import.meta.url), { recursive: true });
writeFileSync(new URL('../test-artifacts/soak.json', import.meta.url), JSON.stringify({ options: opt, samples, growth }, null, 1));
