import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { layerActivations, layerFilters, visualisableLayers } from '../../../src/engine/visualize/activations.js';
import { normaliseInto } from '../../../src/engine/visualize/raster.js';

// A 5×5×2 image through a 3×3 'valid' convolution with 3 filters of known weights.
const H = 5;
const C = 2;
const F = 3;
const pixel = (y: number, x: number, c: number) => ((y * 7 + x * 3 + c * 5) % 11) - 4;
const weight = (y: number, x: number, c: number, f: number) => (f + 1) * (y - x) + (c === 0 ? 0.5 : -0.25) * (f - 1) + 0.1 * y * x;
const bias = [0.1, -0.2, 0.3];

function buildModel(): tf.LayersModel {
  const input = tf.input({ shape: [H, H, C], name: 'img' });
  const conv = tf.layers.conv2d({ filters: F, kernelSize: 3, padding: 'valid', name: 'conv', useBias: true });
  const pooled = tf.layers.maxPooling2d({ poolSize: 3, name: 'pool' }).apply(conv.apply(input)) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'fc' }).apply(tf.layers.flatten({ name: 'flat' }).apply(pooled)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: 'tiny' });
  const k = tf.buffer([3, 3, C, F]);
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) k.set(weight(y, x, c, f), y, x, c, f);
  const kernel = k.toTensor();
  const b = tf.tensor1d(bias);
  conv.setWeights([kernel, b]);
  kernel.dispose();
  b.dispose();
  return model;
}

function imageTensor(): tf.Tensor3D {
  const v = new Float32Array(H * H * C);
  for (let y = 0; y < H; y++) for (let x = 0; x < H; x++) for (let c = 0; c < C; c++) v[(y * H + x) * C + c] = pixel(y, x, c);
  return tf.tensor3d(v, [H, H, C]);
}

/** The convolution by hand: out[i][j][f] = b[f] + Σ in[i+y][j+x][c]·k[y][x][c][f]. */
function handConv(): number[][] {
  const maps: number[][] = Array.from({ length: F }, () => []);
  for (let f = 0; f < F; f++)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = bias[f]!;
        for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < C; c++) s += pixel(i + y, j + x, c) * weight(y, x, c, f);
        maps[f]!.push(s);
      }
  return maps;
}

test('activations of a known input equal the hand-computed convolution (per-channel min/max tiles)', async () => {
  const model = buildModel();
  const image = imageTensor();
  const before = tf.memory().numTensors;
  const maps = await layerActivations(model, 'conv', image, { png: true });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.deepEqual([maps.layer, maps.height, maps.width, maps.channels, maps.shown], ['conv', 3, 3, 3, 3]);
  assert.deepEqual(maps.grid, { rows: 2, cols: 2 });
  assert.equal(maps.tiles.length, 27);
  const hand = handConv();
  hand.forEach((values, f) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    assert.ok(Math.abs(maps.min[f]! - lo) < 1e-4 && Math.abs(maps.max[f]! - hi) < 1e-4, `range of channel ${f}`);
    const expected = new Uint8Array(9);
    normaliseInto(values, expected);
    const got = maps.tiles.subarray(f * 9, (f + 1) * 9);
    for (let p = 0; p < 9; p++) assert.ok(Math.abs(got[p]! - expected[p]!) <= 1, `channel ${f} pixel ${p}: ${got[p]} vs ${expected[p]}`);
    assert.equal(Math.min(...got), 0);
    assert.equal(Math.max(...got), 255);
  });
  // Composite: 2×2 grid of 3×3 tiles with 1-pixel gaps; PNG of it.
  assert.deepEqual([maps.composite!.width, maps.composite!.height, maps.composite!.channels], [7, 7, 1]);
  assert.deepEqual([...maps.composite!.data.subarray(0, 3)], [...maps.tiles.subarray(0, 3)]);
  assert.deepEqual([...maps.composite!.data.subarray(4, 7)], [...maps.tiles.subarray(9, 12)]);
  assert.ok(maps.png && maps.png.length > 8);

  // The same layer inside a nested model, named from the outer one.
  const outerIn = tf.input({ shape: [H, H, C] });
  const outer = tf.model({ inputs: outerIn, outputs: tf.layers.activation({ activation: 'softmax' }).apply(model.apply(outerIn)) as tf.SymbolicTensor });
  const nested = await layerActivations(outer, 'conv', image);
  assert.deepEqual(nested.tiles, maps.tiles);
  assert.equal(tf.memory().numTensors, before);

  // Pooling layers too; dense layers are refused; a missing layer is named.
  const pool = await layerActivations(model, 'pool', image);
  assert.deepEqual([pool.height, pool.width, pool.channels], [1, 1, 3]);
  hand.forEach((values, f) => assert.ok(Math.abs(pool.max[f]! - Math.max(...values)) < 1e-4));
  const two = await layerActivations(model, 'conv', image, { maxChannels: 2 });
  assert.deepEqual([two.channels, two.shown, two.grid.rows, two.grid.cols, two.tiles.length], [3, 2, 1, 2, 18]);
  assert.deepEqual(two.tiles, maps.tiles.subarray(0, 18));
  await assert.rejects(layerActivations(model, 'fc', image), /not feature maps/);
  await assert.rejects(layerActivations(model, 'nope', image), /no layer "nope"/);
  await assert.rejects(layerActivations(model, 'conv', tf.zeros([4, 4, 2]) as tf.Tensor3D), /takes \[\?, 5, 5, 2\]/);
  assert.equal(tf.memory().numTensors, before + 1); // the zeros tensor above (the caller's)
  image.dispose();
});

test('visualisableLayers lists the 4-D layers with their filter kinds', () => {
  const model = buildModel();
  assert.deepEqual(visualisableLayers(model), [
    { name: 'conv', className: 'Conv2D', height: 3, width: 3, channels: 3, filters: 'channels' },
    { name: 'pool', className: 'MaxPooling2D', height: 1, width: 1, channels: 3, filters: null },
  ]);
});

test('filters: a first layer as RGB tiles (BGR flipped on request), deeper and depthwise kernels per channel', async () => {
  const input = tf.input({ shape: [6, 6, 3] });
  const first = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'first', kernelInitializer: tf.initializers.randomNormal({ seed: 1 }) });
  const second = tf.layers.conv2d({ filters: 2, kernelSize: 2, name: 'second', kernelInitializer: tf.initializers.randomNormal({ seed: 2 }) });
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, name: 'dw', depthwiseInitializer: tf.initializers.randomNormal({ seed: 3 }) });
  const model = tf.model({ inputs: input, outputs: dw.apply(second.apply(first.apply(input))) as tf.SymbolicTensor });
  const other = buildModel();
  const before = tf.memory().numTensors;

  const k1 = (await first.getWeights()[0]!.array()) as number[][][][]; // [3][3][3][4]
  const rgb = await layerFilters(model, 'first', { composite: true });
  assert.deepEqual([rgb.kind, rgb.count, rgb.tileChannels, rgb.kernelHeight, rgb.kernelWidth], ['rgb', 4, 3, 3, 3]);
  assert.deepEqual(rgb.grid, { rows: 2, cols: 2 });
  for (let f = 0; f < 4; f++) {
    const values: number[] = [];
    for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) for (let c = 0; c < 3; c++) values.push(k1[y]![x]![c]![f]!);
    const expected = new Uint8Array(27);
    normaliseInto(values, expected);
    assert.deepEqual([...rgb.tiles.subarray(f * 27, (f + 1) * 27)], [...expected], `filter ${f}`);
  }
  const bgr = await layerFilters(model, 'first', { bgr: true });
  assert.deepEqual([bgr.tiles[0], bgr.tiles[1], bgr.tiles[2]], [rgb.tiles[2], rgb.tiles[1], rgb.tiles[0]]);
  assert.deepEqual([rgb.composite!.width, rgb.composite!.channels], [7, 3]);

  const k2 = (await second.getWeights()[0]!.array()) as number[][][][]; // [2][2][4][2]
  const deep = await layerFilters(model, 'second');
  assert.deepEqual([deep.kind, deep.filters, deep.inputChannels, deep.count], ['channels', 2, 4, 8]);
  assert.deepEqual(deep.grid, { rows: 2, cols: 4 });
  const f1: number[] = [];
  for (let c = 0; c < 4; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) f1.push(k2[y]![x]![c]![1]!);
  const e1 = new Uint8Array(16);
  normaliseInto(f1, e1);
  assert.deepEqual([...deep.tiles.subarray(16, 32)], [...e1], 'filter 1 over its 4 input channels');

  const k3 = (await dw.getWeights()[0]!.array()) as number[][][][]; // [2][2][2][2]
  const depth = await layerFilters(model, 'dw');
  assert.deepEqual([depth.kind, depth.count, depth.grid.rows, depth.grid.cols], ['depthwise', 4, 2, 2]);
  const t3 = [k3[0]![0]![1]![1]!, k3[0]![1]![1]![1]!, k3[1]![0]![1]![1]!, k3[1]![1]![1]![1]!]; // channel 1, multiplier 1 → tile 3
  const e3 = new Uint8Array(4);
  normaliseInto(t3, e3);
  assert.deepEqual([...depth.tiles.subarray(12, 16)], [...e3]);
  assert.equal((await layerFilters(model, 'second', { maxFilters: 1 })).count, 4);
  await assert.rejects(layerFilters(other, 'pool'), /no convolution kernel/);
  assert.equal(tf.memory().numTensors, before);
});
