import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca } from '../../../src/engine/visualize/pca.js';
import { embeddingMap, umap2d } from '../../../src/engine/visualize/embedding.js';
import { Rng } from '../../../src/engine/util/rng.js';
import type { Prediction } from '../../../src/engine/runs/runRecord.js';

/** Gaussian-ish noise from the project's seeded PRNG (sum of 4 uniforms). */
function noise(rng: Rng): number {
  return rng.next() + rng.next() + rng.next() + rng.next() - 2;
}

/** n points along unit direction u with spread 10, plus second direction w with spread 3, plus noise 0.1. */
function lineData(n: number, d: number, seed: number) {
  const rng = new Rng(seed);
  const u = Float64Array.from({ length: d }, () => noise(rng));
  const norm = Math.hypot(...u);
  u.forEach((v, i) => (u[i] = v / norm));
  const w = Float64Array.from({ length: d }, () => noise(rng));
  const proj = w.reduce((s, v, i) => s + v * u[i]!, 0);
  w.forEach((v, i) => (w[i] = v - proj * u[i]!));
  const wn = Math.hypot(...w);
  w.forEach((v, i) => (w[i] = v / wn));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = 10 * noise(rng);
    const b = 3 * noise(rng);
    for (let j = 0; j < d; j++) data[i * d + j] = 5 + a * u[j]! + b * w[j]! + 0.1 * noise(rng);
  }
  return { data, rows: n, dim: d, u, w };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

test('PCA finds a known dominant direction, on every solver path, with scikit-learn\'s sign convention', () => {
  // covariance + Jacobi (d ≤ 256), Gram + Jacobi (n < d), covariance + subspace iteration (d > 256), Gram + subspace (n > 256, n < d)
  for (const [n, d] of [[200, 6], [40, 500], [600, 300], [300, 400]] as const) {
    const x = lineData(n, d, n + d);
    const r = pca(x, 2);
    // The generating directions, up to sampling error…
    assert.ok(Math.abs(Math.abs(dot(r.components[0]!, x.u)) - 1) < 1e-2, `${n}×${d}: component 1 ∥ u`);
    assert.ok(Math.abs(Math.abs(dot(r.components[1]!, x.w)) - 1) < 5e-2, `${n}×${d}: component 2 ∥ w`);
    // …and exactly eigenvectors of the sample covariance: ‖C v − λ v‖ ≤ 1e-8 λ₁.
    r.components.forEach((v, c) => {
      const xv = Array.from({ length: n }, (_, i) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += (x.data[i * d + j]! - r.mean[j]!) * v[j]!;
        return s;
      });
      let residual = 0;
      for (let j = 0; j < d; j++) {
        let cv = 0;
        for (let i = 0; i < n; i++) cv += (x.data[i * d + j]! - r.mean[j]!) * xv[i]!;
        residual += (cv / (n - 1) - r.explainedVariance[c]! * v[j]!) ** 2;
      }
      assert.ok(Math.sqrt(residual) <= 1e-8 * r.explainedVariance[0]!, `${n}×${d}: eigenvector ${c} residual ${Math.sqrt(residual)}`);
    });
    assert.ok(Math.abs(dot(r.components[0]!, r.components[1]!)) < 1e-9, `${n}×${d}: orthogonal`);
    for (const c of r.components) {
      const big = c.reduce((best, v, i) => (Math.abs(v) > Math.abs(c[best]!) ? i : best), 0);
      assert.ok(c[big]! > 0, `${n}×${d}: largest entry positive`);
    }
    // Variance along component 1 equals the sample variance of the scores.
    const s1 = Array.from({ length: n }, (_, i) => r.scores[2 * i]!);
    const mean = s1.reduce((a, b) => a + b) / n;
    const variance = s1.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
    assert.ok(Math.abs(mean) < 1e-9 && Math.abs(variance / r.explainedVariance[0]! - 1) < 1e-9, `${n}×${d}: variance`);
    assert.ok(r.explainedVarianceRatio[0]! > 0.7 && r.explainedVarianceRatio[0]! + r.explainedVarianceRatio[1]! <= 1 + 1e-12, `${n}×${d}: ratio`);
  }
});

test('PCA: exact on a small hand example; deterministic; degenerate inputs', () => {
  // Points on the line y = 2x: one component (1, 2)/√5 carrying all the variance.
  const r = pca({ data: [0, 0, 1, 2, 2, 4, 3, 6], rows: 4, dim: 2 }, 2);
  assert.ok(Math.abs(r.components[0]![0]! - 1 / Math.sqrt(5)) < 1e-12 && Math.abs(r.components[0]![1]! - 2 / Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(r.explainedVariance[0]! - (5 * 5) / 3) < 1e-9); // var(x)=5/3, ×5
  assert.ok(Math.abs(r.explainedVarianceRatio[0]! - 1) < 1e-12 && Math.abs(r.explainedVariance[1]!) < 1e-9);
  assert.deepEqual(Array.from(r.scores.filter((_, i) => i % 2 === 0)).map((v) => Math.round(v * 1e9) / 1e9), [-1.5, -0.5, 0.5, 1.5].map((v) => Math.round(v * Math.sqrt(5) * 1e9) / 1e9));
  const x = lineData(50, 8, 3);
  assert.deepEqual(pca(x, 2).scores, pca(x, 2).scores);
  const one = pca({ data: [1, 2, 3], rows: 1, dim: 3 }, 2);
  assert.deepEqual(Array.from(one.scores), [0, 0]);
});

function clusters(seed: number) {
  const rng = new Rng(seed);
  const n = 60;
  const d = 8;
  const data = new Float32Array(n * d);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels.push(c);
    for (let j = 0; j < d; j++) data[i * d + j] = (j === c ? 6 : 0) + noise(rng);
  }
  return { data, rows: n, dim: d, labels };
}

test('UMAP is reproducible with a seed and separates clear clusters', () => {
  const x = clusters(7);
  const a = umap2d(x, { seed: 5, nEpochs: 150 });
  const b = umap2d(x, { seed: 5, nEpochs: 150 });
  const c = umap2d(x, { seed: 6, nEpochs: 150 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // Each point's nearest neighbour on the map is of its own cluster.
  let same = 0;
  for (let i = 0; i < x.rows; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < x.rows; j++) {
      if (j === i) continue;
      const dd = (a[2 * i]! - a[2 * j]!) ** 2 + (a[2 * i + 1]! - a[2 * j + 1]!) ** 2;
      if (dd < bestD) [best, bestD] = [j, dd];
    }
    if (x.labels[best] === x.labels[i]) same++;
  }
  assert.ok(same >= 0.95 * x.rows, `${same}/${x.rows}`);
  assert.throws(() => umap2d({ data: [1, 2], rows: 2, dim: 1 }), /at least 3 points/);
});

test('embeddingMap: one point per prediction, coloured by true class, errors marked', () => {
  const x = clusters(8);
  const classes = ['a', 'b', 'c'];
  const predictions: Prediction[] = x.labels.map((l, i) => ({
    path: `img${i}.png`,
    label: classes[l]!,
    predicted: classes[i === 4 ? (l + 1) % 3 : l]!,
    probabilities: [1 / 3, 1 / 3, 1 / 3],
  }));
  const map = embeddingMap(x, predictions, classes, { method: 'pca' });
  assert.equal(map.points.length, 60);
  assert.deepEqual(map.points.filter((p) => !p.correct).map((p) => p.path), ['img4.png']);
  assert.equal(map.points[4]!.labelIndex, 1);
  assert.equal(map.points[4]!.predictedIndex, 2);
  assert.ok(map.explainedVarianceRatio![0]! > 0.3);
  const pcaScores = pca(x, 2).scores;
  assert.equal(map.points[10]!.x, pcaScores[20]);
  const u = embeddingMap(x, predictions, classes, { method: 'umap', seed: 3, nEpochs: 50 });
  assert.deepEqual(u.umap, { seed: 3, nNeighbors: 15, minDist: 0.1 });
});
