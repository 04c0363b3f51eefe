// ArrayOptimizer applies tf.train's update rules (and Keras 2's Adadelta) to plain arrays: the same
// weights after several steps with the same gradients, to float32 rounding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { adadeltaSpec, adamSpec, ArrayOptimizer, disposeTfOptimizer, sgdSpec, tfOptimizer, type OptimizerSpec } from '../../../src/engine/training/optimizer.js';
import { Rng } from '../../../src/engine/util/rng.js';

await tf.setBackend('cpu');

function run(spec: OptimizerSpec) {
  const rng = new Rng(5);
  const shapes = [[3, 4], [4]];
  const init = shapes.map((s) => Float32Array.from({ length: s.reduce((a, d) => a * d, 1) }, () => rng.next() - 0.5));
  const steps = Array.from({ length: 4 }, () => init.map((w) => Float32Array.from(w, () => (rng.next() - 0.5) * 2)));
  const vars = init.map((w, i) => tf.variable(tf.tensor(w, shapes[i]!)));
  const opt = tfOptimizer(spec);
  const arrays = init.map((w) => w.slice());
  const mine = new ArrayOptimizer(spec);
  for (const grads of steps) {
    opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor(grads[i]!, shapes[i]!) })));
    mine.apply([0, 1], arrays, grads);
  }
  const worst = Math.max(...vars.map((v, i) => Math.max(...Array.from(v.dataSync(), (x, j) => Math.abs(x - arrays[i]![j]!)))));
  const moved = Math.max(...arrays.map((a, i) => Math.max(...Array.from(a, (x, j) => Math.abs(x - init[i]![j]!)))));
  disposeTfOptimizer(opt);
  vars.forEach((v) => v.dispose());
  return { worst, moved };
}

for (const [label, spec] of [
  ['SGD', sgdSpec(0.1)],
  ['SGD with momentum 0.9 (the fine-tuning preset, larger rate)', sgdSpec(0.05, 0.9)],
  ['Adam', adamSpec(0.01)],
  ['Keras 2 Adadelta (the heads preset)', adadeltaSpec(1.0)],
] as const) {
  test(`${label}: same weights as tf.train after 4 steps`, () => {
    const { worst, moved } = run(spec);
    assert.ok(moved > 1e-3, `the weights moved (${moved})`);
    assert.ok(worst < 1e-6, `max |tf.train − ArrayOptimizer| ${worst}`);
  });
}
