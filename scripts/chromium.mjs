// Headless Chromium as every script and test here launches it: Debian's /usr/bin/chromium
// (no downloaded browser), WebGPU's software adapter enabled, and no background network
// traffic, which this closed network refuses.
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** The page served on a free port and a browser to open it in: `{ base, browser, close }`. */
export async function launchLab() {
  const server = await serve(0);
  const browser = await launchChromium();
  return {
    base: `http://127.0.0.1:${server.address().port}/`,
    browser,
    async close() {
      await browser.close();
      server.close();
    },
  };
}
