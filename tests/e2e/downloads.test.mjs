// What a visit costs on the network: the first visit downloads at most 15 MB before Play
// (MNIST gzipped, the CPU package, the page), and a reload downloads no data file again (the
// server's Last-Modified dates turn it into revalidations answered 304, with no body). The
// browser keeps a profile on disk, as a user's does: an incognito context's cache is in
// memory and too small to keep the 9.7 MB training images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../scripts/chromium.mjs';
import { lab } from './lab.mjs';

/** Loads (or reloads) the page; resolves to every response it and its worker received. */
async function visit(page, url) {
  const responses = [];
  const listener = async (request) => {
    const response = await request.response();
    const { responseBodySize } = await request.sizes();
    responses.push({ path: new URL(request.url()).pathname, status: response.status(), body: responseBodySize });
  };
  page.on('requestfinished', listener);
  await (url ? page.goto(url) : page.reload());
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  await page.waitForTimeout(1000); // the last sizes
  page.off('requestfinished', listener);
  return responses;
}

test('a first visit downloads at most 15 MB before Play, and a reload no data again', { timeout: 300_000 }, async () => {
  const profile = mkdtempSync(join(tmpdir(), 'latent-lab-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await context.newPage();
  const first = await visit(page, lab.base + '?backend=cpu');
  const total = first.reduce((sum, r) => sum + r.body, 0);
  const data = (responses) => responses.filter((r) => r.path.startsWith('/data/'));
  assert.deepEqual(data(first).map((r) => r.path).sort(), [
    '/data/mnist/t10k-images-idx3-ubyte.gz', '/data/mnist/t10k-labels-idx1-ubyte.gz',
    '/data/mnist/train-images-idx3-ubyte.gz', '/data/mnist/train-labels-idx1-ubyte.gz',
  ]);
  assert.ok(total <= 15e6, `the first visit downloaded ${(total / 1e6).toFixed(1)} MB in ${first.length} responses`);

  const again = data(await visit(page));
  assert.equal(again.length, 4, JSON.stringify(again));
  for (const r of again) assert.ok(r.body === 0, `${r.path} was downloaded again: ${JSON.stringify(r)}`);
  await context.close();
  rmSync(profile, { recursive: true, force: true });
});
