import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { headPreset, predictProba, trainHead, type HeadConfig } from '../../../src/engine/heads/index.js';
import { minimizeLbfgs } from '../../../src/engine/heads/lbfgs.js';
import { Rng } from '../../../src/engine/util/rng.js';
import { maxAbsDiff, sklearnToy } from './toyData.js';

// scikit-learn 1.2.1 LogisticRegression on the toy set (fixtures/sklearn_lr_ref.py regenerates it).
interface SkFit { coef: number[][]; intercept: number[]; proba: number[][]; n_iter: number }
const ref = JSON.parse(readFileSync(new URL('./fixtures/sklearn_lr.json', import.meta.url), 'utf8')) as Record<string, SkFit>;

before(async () => {
  await tf.setBackend('cpu');
});

async function fit(cfg: Partial<HeadConfig>, binary = false) {
  const { x, y } = sklearnToy();
  const labels = binary ? y.map((c) => (c > 0 ? 1 : 0)) : y;
  const K = binary ? 2 : 3;
  const head = await trainHead({ x, y: labels, numClasses: K, config: headPreset('lr', cfg) });
  const proba = predictProba(head.model, x);
  const [kernel, bias] = head.model.getWeights().map((t) => t.dataSync());
  head.model.dispose();
  return { head, proba, kernel: kernel!, bias: bias!, K };
}

function compare(name: string, got: Awaited<ReturnType<typeof fit>>, probTol: number, coefTol: number): void {
  const sk = ref[name]!;
  const dp = maxAbsDiff(got.proba, sk.proba.flat());
  assert.ok(dp <= probTol, `${name}: max |proba - sklearn| = ${dp.toExponential(2)} > ${probTol}`);
  if (got.K > 2) {
    const D = sk.coef[0]!.length;
    // Dense kernel is [dim, K]; sklearn's coef_ is [K, dim].
    const coef = Array.from({ length: got.K * D }, (_, i) => got.kernel[(i % D) * got.K + Math.floor(i / D)]!);
    const dc = Math.max(maxAbsDiff(coef, sk.coef.flat()), maxAbsDiff(got.bias, sk.intercept));
    assert.ok(dc <= coefTol, `${name}: max |coef - sklearn| = ${dc.toExponential(2)} > ${coefTol}`);
  }
}

test('LR matches sklearn LogisticRegression() with default settings', async () => {
  const got = await fit({});
  compare('default', got, 1e-6, 1e-5);
  assert.equal(got.head.history.length, ref.default!.n_iter); // same iteration count as scipy's L-BFGS-B
  assert.ok(got.head.history.length > 5 && got.head.history.length <= 100);
  assert.equal(got.head.bestEpoch, null);
});

test('LR agrees with sklearn at tighter tolerance and another C', async () => {
  // sklearn's "tight" run stops on scipy's ftol at the same iterate as the default one; so do we.
  compare('tight', await fit({ tol: 1e-10, maxIter: 10000 }), 1e-6, 1e-5);
  compare('c01_tight', await fit({ C: 0.1, tol: 1e-10, maxIter: 10000 }), 1e-6, 1e-5);
});

test("LR with classWeight 'balanced' matches sklearn's class_weight='balanced'", async () => {
  compare('balanced', await fit({ classWeight: 'balanced' }), 1e-6, 1e-5);
  compare('balanced_tight', await fit({ classWeight: 'balanced', tol: 1e-10, maxIter: 10000 }), 1e-6, 1e-5);
});

test("LR with two classes matches sklearn's binomial fit", async () => {
  // A different parameterisation (softmax with C/2 vs one binomial vector), so scipy's ftol stop
  // lands on a slightly different iterate: ~2e-5 apart.
  compare('binary_tight', await fit({ tol: 1e-10, maxIter: 10000 }, true), 5e-5, 0);
});

test('LR history reports per-iteration loss, accuracy and validation metrics', async () => {
  const { x, y } = sklearnToy();
  const seen: number[] = [];
  const head = await trainHead({ x, y, numClasses: 3, val: { x, y }, config: headPreset('lr'), onEpoch: (r) => seen.push(r.epoch) });
  head.model.dispose();
  assert.deepEqual(seen, head.history.map((r) => r.epoch));
  const first = head.history[0]!;
  const last = head.history.at(-1)!;
  assert.ok(last.loss < first.loss);
  // Same data as validation: the unweighted val loss equals the training loss.
  assert.ok(Math.abs(last.valLoss! - last.loss) < 1e-6);
  assert.ok(last.accuracy > 0.7 && last.valAccuracy === last.accuracy);
});

test('LR training is cancellable, from a callback or from a timer', async () => {
  const { x, y } = sklearnToy();
  const ctl = new AbortController();
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainHead({ x, y, numClasses: 3, config: headPreset('lr'), signal: ctl.signal, onEpoch: (r) => r.epoch === 3 && ctl.abort() }),
    { name: 'FttlError', kind: 'cancelled' },
  );
  // A fit of many seconds (1000 x 5000, ~30 ms per evaluation, no tolerance) stopped by a timer:
  // the solver yields between iterations so the abort lands.
  const rng = new Rng(3);
  const big = { data: Float32Array.from({ length: 1000 * 5000 }, () => rng.next()), rows: 1000, dim: 5000 };
  const labels = Int32Array.from({ length: 1000 }, () => rng.int(3));
  const t0 = performance.now();
  let iterations = 0;
  await assert.rejects(
    trainHead({ x: big, y: labels, numClasses: 3, config: headPreset('lr', { tol: 0, maxIter: 10_000 }), signal: AbortSignal.timeout(150), onEpoch: () => iterations++ }),
    { name: 'FttlError', kind: 'cancelled' },
  );
  assert.ok(performance.now() - t0 < 3000 && iterations < 100, `stopped after ${iterations} iterations`);
  assert.equal(tf.memory().numTensors, before);
});

test('L-BFGS minimises an ill-conditioned quadratic to gtol', async () => {
  const scales = Float64Array.from({ length: 50 }, (_, i) => 10 ** ((4 * i) / 49)); // condition number 1e4 (scipy needs ~990 iterations too)
  const res = await minimizeLbfgs(
    (v) => {
      let f = 0;
      const g = new Float64Array(v.length);
      for (let i = 0; i < v.length; i++) {
        f += 0.5 * scales[i]! * (v[i]! - 1) ** 2;
        g[i] = scales[i]! * (v[i]! - 1);
      }
      return { f, g, extra: null };
    },
    new Float64Array(50),
    { maxIter: 5000, gtol: 1e-8, ftol: 0 },
  );
  assert.equal(res.reason, 'gtol');
  assert.ok(maxAbsDiff(res.x, new Float64Array(50).fill(1)) < 1e-8);
});
