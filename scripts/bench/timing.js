// The benchmark's clock, shared by this project's cases and the peers' (loaded in the page):
// the same warm-up and the same measured loop for every contender.

/** Calls `step` for five seconds (at most 50 times, at least once), so that what follows is
 * timed warm: allocations, shader or kernel compilation, and V8 moving the hot wasm functions
 * to its optimising compiler. */
export async function warmUp(step) {
  const start = performance.now();
  for (let i = 0; i < 50 && (i === 0 || performance.now() - start < 5000); i++) await step();
}

/** Times `step` up to `maxSteps` times or for `seconds` (at least once): `{ ms, result }` each. */
export async function timeSteps(step, { maxSteps, seconds }) {
  const steps = [];
  const start = performance.now();
  while (steps.length < maxSteps && (steps.length === 0 || performance.now() - start < seconds * 1000)) {
    const t0 = performance.now();
    const result = await step();
    steps.push({ ms: performance.now() - t0, result });
  }
  return steps;
}
