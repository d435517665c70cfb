// Where a training step's time goes in the browser: a CPU profile (Chrome DevTools protocol,
// sampling every 0.2 ms) of Session.train(1) in a bare page after the benchmark's warm-up,
// printed as the functions with the largest share of self time. A measurement, not a test.
//
// The page's packages have their function names stripped (scripts/strip-names.mjs), so this
// makes a copy with names from the last wasm cargo built for the backend's package (the CPU
// build's release profile, or release-gpu for webgpu: scripts/setup.sh) into
// test-artifacts/pkg-profile/.
//
// Usage: node scripts/profile.mjs [MODEL[:PRESET]] [steps] [backend]   (after command 1)
//   e.g. node scripts/profile.mjs wgan-poly:live 20 cpu
// Set CALLERS=name to also list the call chains that lead to functions containing `name`.
import { execFileSync } from 'node:child_process';
import { launchLab, serveBenchFiles, startSession } from './chromium.mjs';

const [testCase = 'wgan-poly:live', steps = '20', backend = 'cpu'] = process.argv.slice(2);
const [model, preset] = testCase.split(':');
const target = process.env.CARGO_TARGET_DIR ?? `${process.env.HOME}/.cache/latent-lab/target`;
// The CPU build's profile is release, the WebGPU build's release-gpu (Cargo.toml).
const cargoProfile = backend === 'webgpu' ? 'release-gpu' : 'release';
execFileSync('wasm-bindgen', ['--target', 'web', '--out-dir', 'test-artifacts/pkg-profile', `${target}/wasm32-unknown-unknown/${cargoProfile}/latent_lab.wasm`], { stdio: 'inherit' });

const lab = await launchLab();
const page = await lab.browser.newPage();
await serveBenchFiles(page);
await page.goto(lab.base + 'bench');
await page.evaluate(startSession, { backend, build: 'bench-files/test-artifacts/pkg-profile', model, preset });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
const ms = await page.evaluate(async (n) => {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await window.session.train(1);
  return (performance.now() - t0) / n;
}, Number(steps));
const { profile } = await cdp.send('Profiler.stop');
await lab.close();

// Self time per node, then per function name (a function appears once per call path).
const nodeTime = new Map();
profile.samples.forEach((id, i) => nodeTime.set(id, (nodeTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...nodeTime.values()].reduce((a, b) => a + b, 0);
const readable = (name) => (name || '(anonymous)').replace(/::h[0-9a-f]{16}$/, '');
const byName = new Map();
for (const node of profile.nodes) {
  const name = readable(node.callFrame.functionName);
  byName.set(name, (byName.get(name) ?? 0) + (nodeTime.get(node.id) ?? 0));
}
const share = (t) => `${((100 * t) / total).toFixed(1).padStart(5)} %`;
console.log(`${testCase} on ${backend}: ${ms.toFixed(1)} ms per step (${steps} steps, profiled)`);
for (const [name, t] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${share(t)}  ${name.slice(0, 160)}`);

if (process.env.CALLERS) {
  const node = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map(profile.nodes.flatMap((n) => (n.children ?? []).map((c) => [c, n.id])));
  const chains = new Map();
  for (const n of profile.nodes.filter((n) => n.callFrame.functionName.includes(process.env.CALLERS))) {
    const chain = [];
    for (let p = parent.get(n.id); p && chain.length < 5; p = parent.get(p)) chain.push(readable(node.get(p).callFrame.functionName).slice(-80));
    const key = chain.join('  <-  ');
    chains.set(key, (chains.get(key) ?? 0) + (nodeTime.get(n.id) ?? 0));
  }
  console.log(`\ncalled from (${process.env.CALLERS}):`);
  for (const [chain, t] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${share(t)}  ${chain}`);
}
