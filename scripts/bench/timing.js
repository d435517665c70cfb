// The benchmark's clock, shared by this project's cases and the peers' (loaded in the page):
// the same warm-up and the same measured loop for every contender.

/** Calls `step` for five seconds (at most 50 times, at least once), so that what follows is
 * timed warm: allocations, shader or kernel compilation, and V8 moving the hot wasm functions
 * to its optimising compiler. */
export async function warmUp(step) {
  const start = performance.now();
  for (let i = 0; i < 50 && (i === 0 || performance.now() - start < 5000); i++) await step();
}

/** Counts the WebGPU compute dispatches and queue submissions of this page from now on, in
 * `window.gpuWork` (run before any GPU work: the benchmark adds it as an init script). */
export function countGpuWork() {
  const work = (window.gpuWork = { dispatches: 0, submits: 0 });
  const wrap = (proto, name, key) => {
    const original = proto?.[name];
    if (!original) return;
    proto[name] = function (...args) {
      work[key] += 1;
      return original.apply(this, args);
    };
  };
  wrap(window.GPUComputePassEncoder?.prototype, 'dispatchWorkgroups', 'dispatches');
  wrap(window.GPUComputePassEncoder?.prototype, 'dispatchWorkgroupsIndirect', 'dispatches');
  wrap(window.GPUQueue?.prototype, 'submit', 'submits');
}

/** Times `step` up to `maxSteps` times or for `seconds` (at least once): `steps` (`{ ms,
 * result }` each) and, where the page counts them, the WebGPU dispatches and submissions per
 * step. */
export async function timeSteps(step, { maxSteps, seconds }) {
  const steps = [];
  const before = { ...window.gpuWork };
  const start = performance.now();
  while (steps.length < maxSteps && (steps.length === 0 || performance.now() - start < seconds * 1000)) {
    const t0 = performance.now();
    const result = await step();
    steps.push({ ms: performance.now() - t0, result });
  }
  const after = window.gpuWork;
  const perStep = (key) => (after ? (after[key] - before[key]) / steps.length : null);
  return { steps, dispatchesPerStep: perStep('dispatches'), submitsPerStep: perStep('submits') };
}
