// The static build (scripts/dist.sh, which command 2 runs first) served by Python's
// http.server, as any static host would: the page trains on the CPU from it, loads its
// WebGPU build when asked, and, where that build is not there yet (command 1 makes it after
// printing the URL), says so and trains on the CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lab, steps } from './lab.mjs';

const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

/** `python3 -m http.server` on a free port for `root`; resolves to `{ base, close }`. */
function httpServer(root) {
  const child = spawn('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '--directory', root, '0'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /port (\d+)/.exec(out);
      if (m) resolve({ base: `http://127.0.0.1:${m[1]}/`, close: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`python3 -m http.server exited (${code}): ${out}`)));
  });
}

/** Opens `url` in the shared browser; resolves once the page is ready, with what failed to load. */
async function open(url) {
  const page = await lab.browser.newPage({ viewport: { width: 1280, height: 900 } });
  const failed = [];
  page.on('pageerror', (e) => failed.push(e.message));
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready', null, { timeout: 120_000 });
  return { page, failed };
}

test('the static build trains from python3 -m http.server, on the CPU and with its WebGPU build', { timeout: 300_000 }, async () => {
  assert.ok(existsSync(join(dist, 'index.html')), 'no dist/: run scripts/dist.sh');
  const apps = readdirSync(dist).filter((name) => name.startsWith('app-'));
  assert.equal(apps.length, 1, `dist/ holds ${apps}`);
  const server = await httpServer(dist);
  try {
    const { page, failed } = await open(server.base + '?backend=cpu');
    assert.match(await page.locator('#backend').textContent(), /CPU/);
    await steps(page, 3);
    assert.match(await page.locator('#loss-readout').textContent(), /train loss \d/);
    assert.deepEqual(failed, []);
    await page.close();

    const gpu = await open(server.base + '?backend=webgpu');
    assert.match(await gpu.page.locator('#backend').textContent(), /^WebGPU/);
    assert.deepEqual(gpu.failed, []);
    await gpu.page.close();
  } finally {
    server.close();
  }
});

test('before the WebGPU build is there, the page says so and trains on the CPU', { timeout: 300_000 }, async () => {
  const copy = mkdtempSync(join(tmpdir(), 'latent-lab-dist-'));
  execFileSync('cp', ['-al', `${dist}.`, copy]);
  const app = readdirSync(copy).find((name) => name.startsWith('app-'));
  rmSync(join(copy, app, 'pkg-gpu'), { recursive: true });
  const server = await httpServer(copy);
  try {
    const { page, failed } = await open(server.base + '?backend=webgpu');
    assert.match(await page.locator('#backend').textContent(), /CPU/);
    assert.equal(await page.locator('#backend-reason').textContent(), 'WebGPU build not ready yet: training on the CPU');
    await steps(page, 2);
    // The one request that fails is the look for the WebGPU build.
    assert.deepEqual(failed.map((f) => f.replace(/^404 .*\/(pkg-gpu\/)/, '404 $1')), ['404 pkg-gpu/latent_lab_bg.wasm']);
    await page.close();
  } finally {
    server.close();
    rmSync(copy, { recursive: true, force: true });
  }
});
