import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { preprocess, CAFFE_BGR_MEANS } from '../../../src/engine/backbones/preprocess.js';

await tf.setBackend('cpu');

/** One 1×1×2 "image" of two pixels: (R,G,B) = (0,128,255) and (10,20,30). */
const pixels = () => tf.tensor4d([0, 128, 255, 10, 20, 30], [1, 1, 2, 3]);

function close(actual: Float32Array | number[], expected: number[], eps = 1e-4): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) < eps, `index ${i}: ${actual[i]} vs ${e}`));
}

test('caffe: RGB → BGR minus the ImageNet means (Keras VGG16 preprocess_input)', () => {
  assert.deepEqual([...CAFFE_BGR_MEANS], [103.939, 116.779, 123.68]);
  const out = preprocess('caffe', pixels());
  close(out.dataSync() as Float32Array, [255 - 103.939, 128 - 116.779, 0 - 123.68, 30 - 103.939, 20 - 116.779, 10 - 123.68]);
});

test("tf: x / 127.5 − 1 (Keras MobileNet preprocess_input)", () => {
  const out = preprocess('tf', pixels());
  close(out.dataSync() as Float32Array, [-1, 128 / 127.5 - 1, 1, 10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1]);
});

test('unit: x / 255 (nsfwjs)', () => {
  const out = preprocess('unit', pixels());
  close(out.dataSync() as Float32Array, [0, 128 / 255, 1, 10 / 255, 20 / 255, 30 / 255]);
});

test('preprocess keeps the shape, returns float32 and leaves no tensors behind', () => {
  const input = tf.tensor4d(new Int32Array(2 * 4 * 4 * 3).fill(7), [2, 4, 4, 3], 'int32');
  const before = tf.memory().numTensors;
  const out = preprocess('caffe', input);
  assert.deepEqual(out.shape, [2, 4, 4, 3]);
  assert.equal(out.dtype, 'float32');
  assert.equal(tf.memory().numTensors, before + 1);
  assert.equal(input.isDisposed, false);
});
