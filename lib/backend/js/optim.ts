/**
 * Optimizer update kernels of the TypeScript backend, the reference the native kernels match bit for bit:
 * float64 parameters use double arithmetic; float32 parameters use float32 arithmetic (the scalars rounded to
 * float first, every product and sum rounded on its own, no fused multiply-add). PyTorch's CPU kernels also work
 * in float for float, but its AVX2 add_(alpha) fuses the multiply-add: its results differ in the last bit of
 * some elements (~1.6% per SGD step).
 */
import type { BackendArgs } from '../types';

const fr = Math.fround;

/** PyTorch's SGD update of one parameter tensor, in place (see Backend.sgdStep). */
export function sgdStep(...args: BackendArgs<'sgdStep'>): void {
  if (args[0] instanceof Float32Array) sgd32(...args);
  else sgd64(...args);
}

// A sum or difference of two floats computed in double and stored into a Float32Array is the correctly rounded
// float result (double holds more than 2 * 24 + 2 bits), so only products and values that are not stored at
// once need an explicit fround.
function sgd32(...[w, g, buf, lr0, m0, dampening, wd0, nesterov, maximize, first]: BackendArgs<'sgdStep'>): void {
  const n = w.length;
  const lr = fr(lr0);
  const m = fr(m0);
  const damp = fr(1 - dampening);
  const wd = fr(wd0);
  const sgn = maximize ? -1 : 1;
  const decay = wd0 !== 0;
  if (m0 === 0 || buf === null) {
    if (!decay && !maximize) for (let i = 0; i < n; i++) w[i] = w[i] - fr(lr * g[i]);
    else {
      for (let i = 0; i < n; i++) {
        const d = decay ? fr(sgn * g[i] + fr(wd * w[i])) : sgn * g[i];
        w[i] = w[i] - fr(lr * d);
      }
    }
    return;
  }
  if (!first && !nesterov && !decay && !maximize) {
    // the common case (momentum, no decay): buf = m buf + (1 - dampening) g; p -= lr buf
    for (let i = 0; i < n; i++) {
      const b = fr(fr(m * buf[i]) + fr(damp * g[i]));
      buf[i] = b;
      w[i] = w[i] - fr(lr * b);
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const d = decay ? fr(sgn * g[i] + fr(wd * w[i])) : sgn * g[i];
    const b = first ? d : fr(fr(m * buf[i]) + fr(damp * d));
    buf[i] = b;
    const u = nesterov ? fr(d + fr(m * b)) : b;
    w[i] = w[i] - fr(lr * u);
  }
}

function sgd64(
  ...[w, g, buf, lr, momentum, dampening, weightDecay, nesterov, maximize, first]: BackendArgs<'sgdStep'>
): void {
  const n = w.length;
  const sgn = maximize ? -1 : 1;
  const decay = weightDecay !== 0;
  if (momentum === 0 || buf === null) {
    if (!decay && !maximize) for (let i = 0; i < n; i++) w[i] -= lr * g[i];
    else for (let i = 0; i < n; i++) w[i] -= lr * (decay ? sgn * g[i] + weightDecay * w[i] : sgn * g[i]);
    return;
  }
  const damp = 1 - dampening;
  if (!first && !nesterov && !decay && !maximize) {
    for (let i = 0; i < n; i++) {
      buf[i] = momentum * buf[i] + damp * g[i];
      w[i] -= lr * buf[i];
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const d = decay ? sgn * g[i] + weightDecay * w[i] : sgn * g[i];
    buf[i] = first ? d : momentum * buf[i] + damp * d;
    const u = nesterov ? d + momentum * buf[i] : buf[i];
    w[i] -= lr * u;
  }
}
