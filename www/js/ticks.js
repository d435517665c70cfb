// Axis ticks on "nice" numbers (1, 2 or 5 times a power of ten), so every label reads
// as a round value instead of whatever the data's extremes happen to be.

function niceStep(span, maxTicks) {
  // Accepting a step a little under span/(maxTicks-1) keeps e.g. 0.02 from being rounded
  // up to 0.05 (two ticks) for a range that reads much better with six.
  const raw = (0.75 * span) / Math.max(1, maxTicks - 1);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const f = raw / magnitude;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
}

function decimals(step) {
  return Math.max(0, Math.min(10, Math.ceil(-Math.log10(step) - 1e-9)));
}

/** Label for a tick on a linear axis whose ticks are `step` apart. */
export function formatTick(value, step) {
  // Float noise such as 1e-17 would otherwise print as "-0.00".
  const v = Math.abs(value) < step * 1e-6 ? 0 : value;
  if (step >= 1000 && Math.abs(v) >= 1000) return `${(v / 1000).toFixed(decimals(step / 1000))}k`;
  return v.toFixed(decimals(step));
}

/**
 * Linear scale over [min, max]. With extendLo/extendHi the bound is widened to a whole
 * step so the axis starts/ends on a labelled tick; a fixed bound (e.g. 100 %) is kept.
 * Returns {lo, hi, ticks, labels}.
 */
export function niceScale(min, max, maxTicks, extendLo = true, extendHi = true) {
  if (!(max > min)) {
    const pad = Math.abs(min) * 0.1 || 1;
    if (extendLo) min -= pad;
    if (extendHi) max += pad;
    if (!(max > min)) max = min + pad;
  }
  // A bound that is not widened can leave a single tick inside; ask for a finer step then.
  for (let wanted = maxTicks; ; wanted++) {
    const step = niceStep(max - min, wanted);
    const lo = extendLo ? Math.floor(min / step + 1e-9) * step : min;
    const hi = extendHi ? Math.ceil(max / step - 1e-9) * step : max;
    const ticks = [];
    // Integer multiples of the step, so accumulated float error never shifts a tick.
    for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) ticks.push(i * step);
    if (ticks.length >= 2 || wanted >= maxTicks + 8) {
      return { lo, hi, ticks, labels: ticks.map((t) => formatTick(t, step)) };
    }
  }
}

/**
 * Log scale over [min, max] (both > 0): ticks at 1-2-5 per decade, whole decades when that
 * would be too crowded, every integer mantissa when too sparse. A range too narrow for any
 * of these falls back to linear ticks, which still sit at their logarithmic positions.
 */
export function logScale(min, max, maxTicks) {
  const l0 = Math.log10(min);
  const l1 = Math.log10(max);
  const pad = (l1 - l0) * 0.04 || 0.1;
  const lo = 10 ** (l0 - pad);
  const hi = 10 ** (l1 + pad);
  const decadeTicks = (mantissas) => {
    const ticks = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const v = m * 10 ** e;
        if (v >= lo && v <= hi) ticks.push(v);
      }
    }
    return ticks;
  };
  const thin = (ticks) => {
    const every = Math.ceil(ticks.length / maxTicks);
    return ticks.filter((_, i) => i % every === 0);
  };
  let ticks = decadeTicks([1, 2, 5]);
  if (ticks.length > maxTicks) ticks = thin(decadeTicks([1]));
  // Within a single decade (the usual case late in training) 1-2-5 leaves too few labels.
  else if (ticks.length < 3) ticks = thin(decadeTicks([1, 2, 3, 4, 5, 6, 7, 8, 9]));
  if (ticks.length < 2) {
    const linear = niceScale(lo, hi, maxTicks, false, false);
    return { lo, hi, ticks: linear.ticks, labels: linear.labels };
  }
  return { lo, hi, ticks, labels: ticks.map((t) => String(Number(t.toPrecision(2)))) };
}
