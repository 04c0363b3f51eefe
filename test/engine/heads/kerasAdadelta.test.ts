import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { KerasAdadelta } from '../../../src/engine/heads/kerasAdadelta.js';

test('Adadelta follows Keras 2: the first step is small, not lr × gradient', async () => {
  await tf.setBackend('cpu');
  const start = tf.memory().numTensors;
  const p = tf.tidy(() => tf.variable(tf.tensor1d([1, -2])));
  const opt = new KerasAdadelta(1.0, 0.95, 1e-7);
  // loss = 0.5·Σp² → gradient = p. Hand-computed Keras update for the first two steps:
  const expected = [1, -2].map((p0) => {
    let value = p0;
    let a = 0;
    let d = 0;
    for (let i = 0; i < 2; i++) {
      const g = value;
      a = 0.95 * a + 0.05 * g * g;
      const u = (g * Math.sqrt(d + 1e-7)) / Math.sqrt(a + 1e-7);
      value -= u;
      d = 0.95 * d + 0.05 * u * u;
    }
    return value;
  });
  for (let i = 0; i < 2; i++) opt.minimize(() => tf.mul(0.5, tf.sum(tf.square(p))) as tf.Scalar, false, [p]);
  const got = Array.from(p.dataSync());
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `${v} vs ${expected[i]}`));
  // tfjs's own Adadelta would have stepped by the whole gradient (to 0) on its first step.
  assert.ok(Math.abs(got[0]! - 1) < 0.01);
  opt.dispose();
  p.dispose();
  assert.equal(tf.memory().numTensors, start);
});
