// Headless Chromium as every script and test here launches it: Debian's /usr/bin/chromium
// (no downloaded browser), WebGPU's software adapter enabled, and no background network
// traffic, which this closed network refuses.
import { extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.json': 'application/json' };
const repo = fileURLToPath(new URL('..', import.meta.url));

/** Answers /bench-files/ in `page` from scripts/bench/ (the benchmark's peers and clock), the
 * repository's node_modules/ (the peers' npm packages) and test-artifacts/ (trial and
 * profiling builds of the wasm package), which the lab's server does not serve. */
export async function serveBenchFiles(page) {
  await page.route((url) => url.pathname.startsWith('/bench-files/'), (route) => {
    const rel = normalize(new URL(route.request().url()).pathname.slice('/bench-files/'.length));
    if (rel.startsWith('..')) return route.fulfill({ status: 404 });
    const file = /^(node_modules|test-artifacts)\//.test(rel) ? repo + rel : `${repo}scripts/bench/${rel}`;
    return route.fulfill({ path: file, contentType: TYPES[extname(file)] ?? 'application/octet-stream' });
  });
}

/** Run in a bare page of the lab's origin (`page.evaluate(startSession, options)`): loads the
 * wasm package `build`, starts a Session on `backend` with the data `model` needs, and trains
 * it for five seconds, so that what follows is timed warm: allocations, shader compilation on
 * WebGPU, and V8 moving the hot wasm functions from its baseline compiler to its optimising
 * one, which takes seconds (the AE's median step was half as long again after three warm-up
 * steps as after five seconds of them). The session is left in `window.session`. */
export async function startSession({ backend, build, model, preset }) {
  const { default: init, Session } = await import(`/${build}/latent_lab.js`);
  await init();
  const load = async (path) => new Uint8Array(await (await fetch(path)).arrayBuffer());
  const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  const session = await Session.create(backend);
  session.loadIdx('mnist', ...(await Promise.all(files.map((f) => load('/data/mnist/' + f)))));
  if (model.endsWith('-poly')) session.generatePolydata();
  session.configure(preset ? { model, preset } : { model });
  const warm = performance.now();
  for (let i = 0; i < 50 && (i === 0 || performance.now() - warm < 5000); i++) await session.train(1);
  window.session = session;
}
