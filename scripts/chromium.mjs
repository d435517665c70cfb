// Headless Chromium as every script and test here launches it: Debian's /usr/bin/chromium
// (no downloaded browser), WebGPU's software adapter enabled, and no background network
// traffic, which this closed network refuses.
import { chromium } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

export function launchChromium() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}
