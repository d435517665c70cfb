// The page's server and the browser a test file shares: started before its first test and
// closed after its last (node's runner gives each test file a process of its own).
import { before, after } from 'node:test';
import { launchLab } from '../../scripts/chromium.mjs';

/** `{ base, browser }` once the file's first test runs. */
export const lab = {};

before(async () => Object.assign(lab, await launchLab()));
after(() => lab.close?.());

/** A new page of the lab at `query`, once it is ready, with the page errors it reports. */
export async function openPage(query) {
  const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(lab.base + query);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return { page, errors };
}

/** The step the page has trained to. */
export const step = (page) => page.evaluate(() => Number(document.body.dataset.step || 0));

/** Clicks Step `n` times and waits until the page has trained them. */
export async function steps(page, n) {
  const from = await step(page);
  for (let i = 0; i < n; i++) await page.click('#step');
  await page.waitForFunction((want) => Number(document.body.dataset.step) === want, from + n, { timeout: 120_000 });
}
