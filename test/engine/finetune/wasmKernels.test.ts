// FTTL's wasm training kernels, pinned against tfjs's cpu backend (the reference implementation).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { registerWasmTrainingKernels, wasmTrainingKernelsRegistered, WASM_TRAINING_KERNELS } from '../../../src/engine/backend/wasmKernels/index.js';
import { Rng } from '../../../src/engine/util/rng.js';

before(async () => {
  const info = await initBackend('wasm');
  assert.equal(info.tfBackend, 'wasm');
  assert.ok(wasmTrainingKernelsRegistered(), 'selecting the wasm backend registers the training kernels');
  registerWasmTrainingKernels(); // idempotent
});

function randomData(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** Runs `f` on the cpu backend and on wasm with the same inputs; returns both outputs' values. */
async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array; shape: number[] }> {
  await tf.setBackend('cpu');
  const c = tf.tidy(f);
  const cpu = (await c.data()) as Float32Array;
  const shape = c.shape;
  c.dispose();
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const w = tf.tidy(f);
  const wasm = (await w.data()) as Float32Array;
  assert.deepEqual(w.shape, shape);
  w.dispose();
  assert.equal(tf.memory().numTensors, before, 'no tensor leaked on wasm');
  return { cpu, wasm, shape };
}

/** max |a − b| / max |b|: the relative error over the whole output. */
function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case { x: [number, number, number, number]; k: number; stride: number | [number, number]; pad: Pad; out?: number; mult?: number }

const CASES: Case[] = [
  { x: [2, 7, 7, 8], k: 3, stride: 1, pad: 'same' },
  { x: [2, 8, 8, 5], k: 3, stride: 2, pad: 'same' },
  { x: [2, 9, 9, 4], k: 3, stride: 2, pad: 'same' },
  { x: [1, 9, 8, 3], k: 3, stride: 2, pad: 'valid' },
  { x: [2, 10, 10, 4], k: 3, stride: [2, 1], pad: 'valid' },
  { x: [3, 7, 7, 6], k: 1, stride: 1, pad: 'same' },
  { x: [2, 6, 6, 4], k: 5, stride: 1, pad: 'same' },
  { x: [1, 11, 11, 3], k: 3, stride: 3, pad: 'same' },
  { x: [2, 8, 8, 4], k: 3, stride: 2, pad: [[0, 0], [0, 1], [0, 1], [0, 0]] }, // Keras ZeroPadding2D + valid
  { x: [1, 6, 6, 2], k: 2, stride: 1, pad: [[0, 0], [3, 0], [0, 2], [0, 0]] }, // padding wider than the kernel
];

test('the missing training kernels are registered on wasm', () => {
  for (const name of WASM_TRAINING_KERNELS) assert.ok(tf.getKernel(name, 'wasm'), name);
});

test('Conv2DBackpropFilter / Conv2DBackpropInput match the cpu backend (relative error < 1e-5)', async () => {
  for (const [i, c] of CASES.entries()) {
    const co = c.out ?? 7;
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], co];
    const x = randomData(c.x.reduce((a, b) => a * b, 1), 10 + i);
    const w = randomData(filterShape.reduce((a, b) => a * b, 1), 20 + i);
    const outShape = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, c.stride, c.pad).shape);
    const dy = randomData(outShape.reduce((a, b) => a * b, 1), 30 + i);
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const dW = await onBoth(() =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor(dy, outShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    assert.deepEqual(dW.shape, filterShape);
    assert.ok(relError(dW.wasm, dW.cpu) < 1e-5, `case ${i} filter: ${relError(dW.wasm, dW.cpu)}`);
    const dX = await onBoth(() =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, outShape), filter: tf.tensor4d(w, filterShape) }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor,
    );
    assert.deepEqual(dX.shape, c.x);
    assert.ok(relError(dX.wasm, dX.cpu) < 1e-5, `case ${i} input: ${relError(dX.wasm, dX.cpu)}`);
  }
});

test('DepthwiseConv2dNative gradients match the cpu backend, channel multiplier 1 and 2', async () => {
  for (const [i, c] of CASES.entries()) {
    for (const mult of [1, 2]) {
      const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], mult];
      const x = randomData(c.x.reduce((a, b) => a * b, 1), 40 + i);
      const w = randomData(filterShape.reduce((a, b) => a * b, 1), 50 + i);
      const pad = c.pad;
      const outShape = tf.tidy(() => tf.depthwiseConv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(filterShape) as tf.Tensor4D, c.stride, pad).shape);
      const dy = randomData(outShape.reduce((a, b) => a * b, 1), 60 + i);
      const attrs = { strides: c.stride, pad, dilations: [1, 1], dimRoundingMode: undefined };
      const dW = await onBoth(() =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor(dy, outShape) }, { ...attrs, filterShape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      assert.ok(relError(dW.wasm, dW.cpu) < 1e-5, `case ${i} ×${mult} filter: ${relError(dW.wasm, dW.cpu)}`);
      const dX = await onBoth(() =>
        tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor(dy, outShape), filter: tf.tensor4d(w, filterShape) }, { ...attrs, inputShape: c.x } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      assert.ok(relError(dX.wasm, dX.cpu) < 1e-5, `case ${i} ×${mult} input: ${relError(dX.wasm, dX.cpu)}`);
    }
  }
});

test('BatchMatMul with transposed operands matches the cpu backend', async () => {
  for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const) {
    const a = randomData(2 * 6 * 5, 70);
    const b = randomData(2 * 5 * 4, 71);
    const aShape = ta ? [2, 5, 6] : [2, 6, 5];
    const bShape = tb ? [2, 4, 5] : [2, 5, 4];
    const r = await onBoth(() => tf.matMul(tf.tensor3d(a, aShape as [number, number, number]), tf.tensor3d(b, bShape as [number, number, number]), ta, tb));
    assert.ok(relError(r.wasm, r.cpu) < 1e-6, `transposeA ${ta} transposeB ${tb}`);
  }
  const r2 = await onBoth(() => tf.matMul(tf.tensor2d(randomData(12, 72), [4, 3]), tf.tensor2d(randomData(8, 73), [4, 2]), true, false));
  assert.ok(relError(r2.wasm, r2.cpu) < 1e-6, 'rank 2');
});

test('tf.grad of a conv + depthwise + dense model agrees between wasm and cpu', async () => {
  const x = randomData(2 * 9 * 9 * 3, 80);
  const w1 = randomData(3 * 3 * 3 * 4, 81);
  const w2 = randomData(3 * 3 * 4 * 1, 82);
  const w3 = randomData(4 * 5 * 5 * 3, 83);
  const grads = (which: number) =>
    onBoth(() => {
      const vars = [tf.tensor4d(w1, [3, 3, 3, 4]), tf.tensor4d(w2, [3, 3, 4, 1]), tf.tensor2d(w3, [100, 3])];
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
        let h = tf.conv2d(tf.tensor4d(x, [2, 9, 9, 3]), a as tf.Tensor4D, 2, 'same'); // 5×5×4
        h = tf.relu6(tf.depthwiseConv2d(h as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
        return tf.sum(tf.softmax(tf.matMul(tf.reshape(h, [2, 100]), c as tf.Tensor2D)).mul(tf.range(0, 3)));
      };
      return tf.grads(f)(vars)[which]!;
    });
  for (const i of [0, 1, 2]) {
    const g = await grads(i);
    assert.ok(relError(g.wasm, g.cpu) < 1e-5, `gradient ${i}: ${relError(g.wasm, g.cpu)}`);
  }
});

test('Tile matches the cpu backend (BatchNorm-gradient shapes and odd ones)', async () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 6], [4, 3, 3, 1]],
    [[2, 3], [3, 2]],
    [[3, 1, 2], [1, 4, 3]],
    [[5], [4]],
    [[2, 2, 1, 3], [2, 1, 5, 2]],
  ];
  for (const [shape, reps] of cases) {
    const x = randomData(shape.reduce((a, b) => a * b, 1), 90);
    const r = await onBoth(() => tf.tile(tf.tensor(x, shape), reps));
    assert.deepEqual(Array.from(r.wasm), Array.from(r.cpu), `${shape} × ${reps}`);
  }
  const ints = await onBoth(() => tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]).toFloat());
  assert.deepEqual(Array.from(ints.wasm), Array.from(ints.cpu));
});

test('Sum and Mean match the cpu backend over leading, trailing and mixed axes', async () => {
  const shape = [4, 3, 5, 6];
  const x = randomData(shape.reduce((a, b) => a * b, 1), 91);
  for (const axis of [[0, 1, 2], [0], [0, 1], [3], [1, 2], [0, 2], [-1], [0, 1, 2, 3]]) {
    for (const keepDims of [false, true]) {
      for (const op of ['sum', 'mean'] as const) {
        const r = await onBoth(() => tf[op](tf.tensor(x, shape), axis, keepDims));
        assert.ok(relError(r.wasm, r.cpu) < 1e-6, `${op} ${axis} keepDims ${keepDims}`);
      }
    }
  }
  for (const op of ['sum', 'mean'] as const) {
    const all = await onBoth(() => tf[op](tf.tensor(x, shape)));
    assert.ok(relError(all.wasm, all.cpu) < 1e-6, `${op} over everything`);
  }
  const ints = await onBoth(() => tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).toFloat());
  assert.deepEqual(Array.from(ints.wasm), [4, 6]);
});

test('MaxPoolGrad matches the cpu backend (overlaps, same/explicit padding, odd sizes, ties)', async () => {
  // tfjs-backend-wasm 4.22's own kernel drops the gradient of windows whose values are all ≤ 0 and
  // sends ties to the last maximum (the cpu backend, the reference, picks the first).
  type PoolCase = { x: [number, number, number, number]; k: number | [number, number]; stride: number | [number, number]; pad: Pad | number; round?: 'floor' | 'round' | 'ceil' };
  const cases: PoolCase[] = [
    { x: [2, 6, 6, 3], k: 2, stride: 2, pad: 'valid' },
    { x: [2, 5, 5, 3], k: 2, stride: 2, pad: 'valid' }, // odd size: the last row/column is dropped
    { x: [2, 5, 5, 3], k: 2, stride: 1, pad: 'same' }, // overlapping
    { x: [2, 7, 5, 4], k: 3, stride: 2, pad: 'same' }, // overlapping, odd, padded
    { x: [1, 9, 8, 5], k: 3, stride: 1, pad: 'valid' },
    { x: [1, 8, 7, 2], k: [3, 2], stride: [2, 1], pad: 'same' },
    { x: [2, 6, 6, 3], k: 3, stride: 2, pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
    { x: [1, 6, 6, 2], k: 2, stride: 1, pad: [[0, 0], [3, 0], [0, 2], [0, 0]] }, // windows wholly in the padding
    { x: [1, 7, 7, 3], k: 3, stride: 2, pad: 1, round: 'ceil' },
    { x: [2, 14, 14, 16], k: 2, stride: 2, pad: 'valid' }, // VGG-style block pool
  ];
  for (const [i, c] of cases.entries()) {
    const n = c.x.reduce((a, b) => a * b, 1);
    // Raw values, a ReLU of them (all-zero windows: ties at 0) and coarse values (ties elsewhere).
    const raw = randomData(n, 100 + i);
    const inputs: [string, Float32Array][] = [
      ['raw', raw],
      ['relu', raw.map((v) => Math.max(0, v - 0.3))],
      ['ties', raw.map((v) => Math.round(v * 2) / 2)],
    ];
    const attrs = { filterSize: c.k, strides: c.stride, pad: c.pad, dimRoundingMode: c.round } as unknown as tf.NamedAttrMap;
    for (const [kind, x] of inputs) {
      const outShape = tf.tidy(() => (tf.engine().runKernel('MaxPool', { x: tf.tensor4d(x, c.x) }, attrs) as tf.Tensor).shape);
      const dy = randomData(outShape.reduce((a, b) => a * b, 1), 200 + i);
      const r = await onBoth(() => {
        const xt = tf.tensor4d(x, c.x);
        const y = tf.engine().runKernel('MaxPool', { x: xt }, attrs) as tf.Tensor;
        return tf.engine().runKernel('MaxPoolGrad', { dy: tf.tensor(dy, outShape), input: xt, output: y }, attrs) as tf.Tensor;
      });
      assert.deepEqual(r.shape, c.x);
      assert.ok(relError(r.wasm, r.cpu) < 1e-6, `case ${i} ${kind}: ${relError(r.wasm, r.cpu)}`);
    }
  }
  // Through tf.grad, as a model's backward pass reaches it (MaxPool's gradient → MaxPoolGrad).
  const x = randomData(2 * 9 * 9 * 4, 300).map((v) => Math.max(0, v));
  const w = randomData(5 * 5 * 4, 301);
  const g = await onBoth(() =>
    tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(tf.relu(v) as tf.Tensor4D, 3, 2, 'same'), tf.tensor(w, [1, 5, 5, 4]))))(tf.tensor4d(x, [2, 9, 9, 4])),
  );
  assert.ok(relError(g.wasm, g.cpu) < 1e-6, `tf.grad: ${relError(g.wasm, g.cpu)}`);
});
