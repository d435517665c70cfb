// An accessibility audit with axe-core on every model's page, at a desktop's size and a
// phone's, once the page is ready: no rule of axe's default set may be broken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { lab } from './lab.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SIZES = [[1280, 900], [390, 844]];

/** The page at `query` and `size`, once ready; resolves to axe's violations, one line each. */
async function audit(query, [width, height]) {
  const page = await lab.browser.newPage({ viewport: { width, height } });
  await page.goto(lab.base + query);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.addScriptTag({ path: axePath });
  const { violations } = await page.evaluate(() => window.axe.run());
  const models = await page.$$eval('#model option', (options) => options.map((o) => o.value));
  await page.close();
  return {
    models,
    lines: violations.flatMap((v) => v.nodes.map((n) => `${width}x${height} ${query}: ${v.id} on ${n.target.join(' ')} (${v.help})`)),
  };
}

test('axe-core finds no violations on any model\'s page, desktop and phone', { timeout: 600_000 }, async () => {
  // The models are the ones the page lists, as the core describes them.
  const { models } = await audit('?backend=cpu', SIZES[0]);
  assert.ok(models.length >= 7, `the model menu lists ${models}`);
  const found = [];
  for (const size of SIZES) {
    for (const model of models) found.push(...(await audit(`?backend=cpu&model=${model}`, size)).lines);
  }
  assert.deepEqual(found, []);
});
