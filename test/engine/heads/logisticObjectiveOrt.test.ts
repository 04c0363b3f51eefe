// The logistic objective on onnxruntime equals the JavaScript one (value, gradient, hits) in float64,
// and LR fits the same coefficients whichever evaluates it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logisticObjective } from '../../../src/engine/heads/logisticObjective.js';
import { logisticObjectiveOrt } from '../../../src/engine/heads/logisticObjectiveOrt.js';
import { headPreset, trainHead } from '../../../src/engine/heads/index.js';
import { Rng } from '../../../src/engine/util/rng.js';

const rng = new Rng(3);
const rows = 90;
const dim = 40;
const K = 4;
const x = { data: Float32Array.from({ length: rows * dim }, () => Math.max(0, rng.next() * 3 - 1)), rows, dim };
const y = Int32Array.from({ length: rows }, (_, i) => (i * 5 + Math.floor(x.data[i * dim]! * 2)) % K);
const sw = Float64Array.from({ length: rows }, (_, i) => 0.5 + (i % 3) * 0.5);

test('onnxruntime evaluates the objective, its gradient and the hits as JavaScript does', async () => {
  const js = logisticObjective(x, y, K, sw, 0.7);
  const ort = await logisticObjectiveOrt(x, y, K, sw, 0.7);
  for (let trial = 0; trial < 3; trial++) {
    const w = Float64Array.from({ length: K * dim + K }, () => (rng.next() - 0.5) * (trial + 0.5));
    const a = js(w);
    const b = await ort(w);
    assert.ok(Math.abs(a.f - b.f) <= 1e-10 * Math.abs(a.f), `f ${a.f} vs ${b.f}`);
    assert.equal(b.extra.correct, a.extra.correct);
    assert.ok(Math.abs(a.extra.weightedCe - b.extra.weightedCe) <= 1e-10 * a.extra.weightedCe);
    const gmax = Math.max(...a.g.map(Math.abs));
    a.g.forEach((v, i) => assert.ok(Math.abs(v - b.g[i]!) <= 1e-10 * gmax, `g[${i}] ${v} vs ${b.g[i]}`));
  }
  ort.dispose();
});

test('LR fits the same coefficients on onnxruntime and in JavaScript, and says which ran', async () => {
  const fit = async (runtime: string) => {
    const saved = process.env.FTTL_RUNTIME;
    process.env.FTTL_RUNTIME = runtime;
    try {
      return await trainHead({ x, y, numClasses: K, config: headPreset('lr') });
    } finally {
      if (saved === undefined) delete process.env.FTTL_RUNTIME;
      else process.env.FTTL_RUNTIME = saved;
    }
  };
  const ort = await fit('onnx');
  const js = await fit('tfjs');
  assert.equal(ort.trainer, 'onnxruntime-cpu');
  assert.equal(js.trainer, 'javascript');
  assert.equal(ort.history.length, js.history.length);
  const [a, b] = [ort.model.getWeights()[0]!.dataSync(), js.model.getWeights()[0]!.dataSync()];
  const scale = Math.max(...Array.from(b, Math.abs));
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * scale, `w[${i}] ${v} vs ${b[i]}`));
  ort.model.dispose();
  js.model.dispose();
});
