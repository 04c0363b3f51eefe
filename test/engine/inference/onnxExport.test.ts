// Layer coverage of the ONNX exporter on small random models, the runner factory's choices and
// fallbacks, and the .onnx cache.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assembleBackbone } from '../../../src/engine/backbones/assemble.js';
import { modelTraits } from '../../../src/engine/backbones/recognise.js';
import type { Backbone } from '../../../src/engine/backbones/backbone.js';
import { createRunner } from '../../../src/engine/inference/createRunner.js';
import { exportOnnx, samePads, UnsupportedModelError } from '../../../src/engine/inference/onnx/exportOnnx.js';
import { onnxRunner } from '../../../src/engine/inference/onnx/onnxRunner.js';
import { tfjsRunner } from '../../../src/engine/inference/tfjsRunner.js';
import { useWasm } from '../backbones/wasmBackend.js';
import { randomPixels, randomiseWeights, runBoth, zooModel } from './helpers.js';

await useWasm();
const cacheDir = await mkdtemp(join(tmpdir(), 'fttl-onnx-export-'));
after(() => rm(cacheDir, { recursive: true, force: true }));

type T = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: T | T[]) => l.apply(x) as T;

function backboneOf(model: tf.LayersModel, source: string): Backbone {
  return assembleBackbone({ model, traits: modelTraits(model, { architecture: 'custom' }), name: source, source });
}

test("samePads follows TF's SAME rule (the extra pixel after)", () => {
  assert.deepEqual(samePads(224, 3, 2), [0, 1]);
  assert.deepEqual(samePads(225, 3, 2), [1, 1]);
  assert.deepEqual(samePads(14, 3, 1), [1, 1]);
  assert.deepEqual(samePads(33, 2, 2), [0, 1]);
  assert.deepEqual(samePads(7, 1, 1), [0, 0]);
  assert.deepEqual(samePads(16, 3, 1, 2), [2, 2]);
});

test('every translated layer kind: the ONNX graph matches the tfjs model', async () => {
  const model = zooModel();
  const exported = exportOnnx(model, { preprocess: 'tf' });
  for (const op of ['Conv', 'BatchNormalization', 'Pad', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool', 'Concat', 'Gemm', 'Reshape', 'Softmax', 'Mean', 'Max', 'Min', 'Clip', 'LeakyRelu']) {
    assert.ok(exported.ops[op], `uses ${op} (ops: ${JSON.stringify(exported.ops)})`);
  }
  assert.equal(exported.ops.Pad, 1, 'the pad before the depthwise conv is folded, the one before max pooling is not');
  const onnx = await onnxRunner({ model, key: 'zoo|out', preprocess: 'tf' }, { cacheDir });
  const r = await runBoth(onnx, tfjsRunner(model, 'tf', 33), randomPixels(3, 33, 5), 3);
  assert.ok(r.maxAbsDiff < 1e-5, `max |diff| ${r.maxAbsDiff} (max ${r.maxAbs})`);
  // Intermediate 4-D outputs come back in NHWC order.
  const mid = tf.model({ inputs: model.inputs, outputs: model.getLayer('mul').output as T });
  const onnxMid = await onnxRunner({ model: mid, key: 'zoo|mul', preprocess: 'unit' }, { cacheDir });
  const rm = await runBoth(onnxMid, tfjsRunner(mid, 'unit', 33), randomPixels(2, 33, 6), 2);
  assert.ok(rm.maxAbsDiff < 1e-5, `max |diff| ${rm.maxAbsDiff} (max ${rm.maxAbs})`);
  onnx.dispose();
  onnxMid.dispose();
});

test('a nested model (Teachable Machine style) is translated through', async () => {
  const inner = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'ic' }),
      tf.layers.globalAveragePooling2d({ name: 'igap' }),
    ],
    name: 'inner',
  });
  const input = tf.input({ shape: [16, 16, 3] });
  const out = ap(tf.layers.dense({ units: 3, name: 'head' }), inner.apply(input) as T);
  const model = tf.model({ inputs: input, outputs: out });
  randomiseWeights(inner, 3);
  randomiseWeights(model, 4);
  const onnx = await onnxRunner({ model, key: 'nested', preprocess: 'caffe' }, { cacheDir });
  const r = await runBoth(onnx, tfjsRunner(model, 'caffe', 16), randomPixels(2, 16), 2);
  assert.ok(r.maxAbsDiff < 1e-3 * Math.max(1, r.maxAbs), `max |diff| ${r.maxAbsDiff} (max ${r.maxAbs})`);
  onnx.dispose();
});

function unsupportedModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  let x = ap(tf.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv' }), input);
  x = ap(tf.layers.upSampling2d({ size: [2, 2], name: 'up' }), x);
  return tf.model({ inputs: input, outputs: ap(tf.layers.globalAveragePooling2d({ name: 'pool' }), x) });
}

test('an unsupported layer is named in the error; createRunner falls back to tfjs (auto) or fails (onnx)', async () => {
  const model = unsupportedModel();
  assert.throws(() => exportOnnx(model, { preprocess: 'tf' }), (err: unknown) => err instanceof UnsupportedModelError && /up \(UpSampling2D\)/.test(err.message));
  const b = backboneOf(model, 'custom-up');
  let told = '';
  const runner = await createRunner({ backbone: b, onnxCacheDir: cacheDir, onFallback: (reason) => (told = reason) });
  assert.equal(runner.runtime, 'tfjs-wasm');
  assert.match(runner.fallbackReason ?? '', /UpSampling2D/);
  assert.equal(told, runner.fallbackReason);
  assert.equal((await runner.run(randomPixels(1, 8), 1)).length, 2);
  await assert.rejects(createRunner({ backbone: b, onnxCacheDir: cacheDir, runtime: 'onnx' }), /UpSampling2D/);
  assert.ok(!(await readdir(cacheDir)).some((f) => f.startsWith('custom')), 'nothing cached for a model that did not convert');
});

test('createRunner: onnxruntime by default on wasm, tfjs when asked (FTTL_RUNTIME), cached graphs reused', async () => {
  const model = zooModel();
  const b = backboneOf(model, 'zoo');
  const dir = join(cacheDir, 'factory');
  const first = await createRunner({ backbone: b, onnxCacheDir: dir });
  assert.equal(first.runtime, 'onnxruntime-cpu');
  assert.equal(first.fallbackReason, undefined);
  const files = await readdir(dir);
  assert.equal(files.length, 1, `one cached graph: ${files.join(', ')}`);
  const mtime = (await stat(join(dir, files[0]!))).mtimeMs;
  const second = await createRunner({ backbone: b, onnxCacheDir: dir });
  assert.equal((second as { exported?: boolean }).exported, false);
  assert.equal((await stat(join(dir, files[0]!))).mtimeMs, mtime, 'the cached file was not rewritten');
  // Another layer/pooling is another graph.
  await createRunner({ backbone: b, layer: 'mul', pooling: 'avg', onnxCacheDir: dir });
  assert.equal((await readdir(dir)).filter((f) => f.endsWith('.onnx')).length, 2);
  first.dispose();
  second.dispose();

  process.env.FTTL_RUNTIME = 'tfjs';
  try {
    assert.equal((await createRunner({ backbone: b, onnxCacheDir: dir })).runtime, 'tfjs-wasm');
    process.env.FTTL_RUNTIME = 'nonsense';
    await assert.rejects(createRunner({ backbone: b, onnxCacheDir: dir }), /FTTL_RUNTIME/);
  } finally {
    delete process.env.FTTL_RUNTIME;
  }
});

test('a corrupt cached graph is rebuilt', async () => {
  const model = zooModel();
  const dir = join(cacheDir, 'corrupt');
  const spec = { model, key: 'zoo|corrupt', preprocess: 'tf' as const };
  const first = await onnxRunner(spec, { cacheDir: dir });
  first.dispose();
  await writeFile(first.modelPath, 'not an onnx file');
  const again = await onnxRunner(spec, { cacheDir: dir });
  assert.equal(again.exported, true);
  assert.equal((await again.run(randomPixels(1, 33), 1)).length, 5);
  again.dispose();
});
