// Deterministic toy data for the heads tests (not a test file itself).
import { Rng } from '../../../src/engine/util/rng.js';
import type { FeatureMatrix } from '../../../src/engine/heads/index.js';

/** The 60 x 8, 3-class set of fixtures/sklearn_lr_ref.py, same formula, stored as float32. */
export function sklearnToy(): { x: FeatureMatrix; y: Int32Array } {
  const N = 60;
  const D = 8;
  const y = Int32Array.from({ length: N }, (_, i) => (i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2));
  const data = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      data[i * D + j] = Math.sin(0.9 * i + 1.7 * j) + 0.8 * Math.cos(0.31 * i * j) + (j === y[i] ? 0.75 : 0);
    }
  }
  return { x: { data, rows: N, dim: D }, y };
}

/**
 * Gaussian blobs: class c centred at `spread` * e_c (+ noise), so the classes are separable for a
 * large spread. `counts[c]` rows of class c, rows interleaved by a seeded shuffle.
 */
export function blobs(counts: number[], dim: number, spread: number, seed: number): { x: FeatureMatrix; y: Int32Array } {
  const rng = new Rng(seed);
  const labels = rng.shuffle(counts.flatMap((n, c) => Array<number>(n).fill(c)));
  const y = Int32Array.from(labels);
  const data = new Float32Array(y.length * dim);
  for (let i = 0; i < y.length; i++) {
    for (let j = 0; j < dim; j++) {
      // Box-Muller normal noise.
      const g = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
      data[i * dim + j] = g + (j === y[i] ? spread : 0);
    }
  }
  return { x: { data, rows: y.length, dim }, y };
}

export function accuracy(proba: Float32Array, y: Int32Array, K: number): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (proba[i * K + k]! > proba[i * K + best]!) best = k;
    if (best === y[i]) ok++;
  }
  return ok / y.length;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
