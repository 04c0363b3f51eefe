// The training engines: onnxruntime trains a network the way tfjs does (same weights after several
// optimiser steps — every optimiser's update rule, written into the graph, against tf.train's —
// BatchNorm statistics included), 'auto' picks onnxruntime and falls back to tfjs
// with the reason, and a real fine-tuning run trains on onnxruntime end to end.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createTrainingEngine, type TrainingEngine } from '../../../src/engine/training/engine.js';
import { adadeltaSpec, adamSpec, sgdSpec, type OptimizerSpec } from '../../../src/engine/training/optimizer.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { Rng } from '../../../src/engine/util/rng.js';
import { finetuneRun } from '../../../src/engine/pipeline/finetuneRun.js';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { mobilenet025, retina, retinaSubset, smallRunOptions } from '../finetune/fixtures.js';
import { randomiseWeights } from '../inference/helpers.js';
import { mobilenetLike, stridesAndSkips } from './models.js';

let dir: string;
before(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'fttl-engine-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const forward = (model: tf.LayersModel) => (x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor;

/** Trains a copy of `build()` for `steps` batches on one engine; returns the losses and final weights. */
async function trainWith(runtime: 'onnx' | 'tfjs', build: () => tf.LayersModel, optimizer: OptimizerSpec, steps: number) {
  const model = build();
  randomiseWeights(model, 4);
  const engine = await createTrainingEngine({ model, optimizer, bnTraining: () => true, tfjsForward: forward(model), runtime });
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const K = model.outputs[0]!.shape[1]!;
  const rng = new Rng(9);
  const n = 8;
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const xs = Float32Array.from({ length: n * shape.reduce((a, d) => a * d, 1) }, () => rng.next() * 2 - 0.5);
    const labels = Int32Array.from({ length: n }, (_, i) => (i + s) % K);
    const weights = Float32Array.from({ length: n }, (_, i) => 1 + (i % 2));
    losses.push((await engine.step({ xs, count: n, labels, weights, dropoutSeed: s })).loss);
  }
  engine.commit();
  const weights = model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  const name = engine.name;
  engine.dispose();
  model.dispose();
  return { losses, weights, name };
}

for (const [label, build, optimizer] of [
  ['MobileNet-like block, SGD with momentum', mobilenetLike, sgdSpec(0.05, 0.9)],
  ['strides, padding and a residual add, Keras Adadelta', stridesAndSkips, adadeltaSpec(1.0)],
  ['MobileNet-like block, Adam', mobilenetLike, adamSpec(0.01)],
  ['strides, padding and a residual add, plain SGD', stridesAndSkips, sgdSpec(0.1)],
  ['MobileNet-like block, Keras Adadelta with learning rate 0.5', mobilenetLike, adadeltaSpec(0.5)],
] as const) {
  test(`${label}: onnxruntime and tfjs reach the same weights after 6 steps`, async () => {
    const ort = await trainWith('onnx', build, optimizer, 6);
    // The reference on tfjs's cpu backend (the plainest kernels; wasm's MaxPoolGrad was found wrong this way).
    await tf.setBackend('cpu');
    const ref = await trainWith('tfjs', build, optimizer, 6).finally(() => tf.setBackend('wasm'));
    assert.equal(ort.name, 'onnxruntime-cpu');
    assert.equal(ref.name, 'tfjs-cpu');
    ort.losses.forEach((l, i) => assert.ok(Math.abs(l - ref.losses[i]!) < 1e-4 * Math.max(1, Math.abs(l)), `step ${i}: loss ${l} vs ${ref.losses[i]}`));
    let worst = 0;
    let moved = 0;
    ref.weights.forEach((w, i) =>
      w.forEach((v, j) => {
        worst = Math.max(worst, Math.abs(v - ort.weights[i]![j]!) / Math.max(1, Math.abs(v)));
      }),
    );
    const init = build();
    randomiseWeights(init, 4);
    init.weights.forEach((w, i) => (w.read().dataSync() as Float32Array).forEach((v, j) => (moved = Math.max(moved, Math.abs(v - ref.weights[i]![j]!)))));
    init.dispose();
    assert.ok(moved > 1e-3, `training moved the weights (${moved})`);
    assert.ok(worst < 1e-4, `max relative |onnxruntime − tfjs| over all weights ${worst}`);
  });
}

test("'auto' trains on onnxruntime, falls back to tfjs naming the layer it cannot train, and 'onnx' then fails", async () => {
  const input = tf.input({ shape: [4] });
  const odd = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }).apply(tf.layers.leakyReLU({ name: 'leaky_one' }).apply(input)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: odd });
  const opts = { model, optimizer: sgdSpec(0.1), bnTraining: () => true, tfjsForward: forward(model) };
  const fallback = await createTrainingEngine(opts);
  assert.equal(fallback.name, 'tfjs-wasm');
  assert.match(fallback.fallbackReason ?? '', /leaky_one/);
  fallback.dispose();
  await assert.rejects(createTrainingEngine({ ...opts, runtime: 'onnx' }), (e: unknown) => e instanceof FttlError && /leaky_one/.test((e as Error).message));
  const good = mobilenetLike();
  const engine: TrainingEngine = await createTrainingEngine({ ...opts, model: good, tfjsForward: forward(good) });
  assert.equal(engine.name, 'onnxruntime-cpu');
  assert.equal(engine.fallbackReason, undefined);
  // snapshot → train → restore gives the snapshot back, in the engine and in the tfjs model.
  const snap = engine.snapshot();
  await engine.step({ xs: new Float32Array(2 * 100).fill(1), count: 2, labels: Int32Array.of(0, 1), weights: Float32Array.of(1, 1), dropoutSeed: 1 });
  engine.commit();
  assert.notDeepEqual(Float32Array.from(good.weights[0]!.read().dataSync()), snap[0]);
  engine.restore(snap);
  good.weights.forEach((w, i) => assert.deepEqual(Float32Array.from(w.read().dataSync()), snap[i]));
  assert.deepEqual(engine.snapshot(), snap);
  engine.dispose();
  good.dispose();
  model.dispose();
});

test('a fine-tuning run (real MobileNet v1 α0.25 weights, RetinaMNIST) trains on onnxruntime and says so', { skip: retina.skip || mobilenet025.skip }, async () => {
  const train = await retinaSubset(dir, 'train', [6, 6, 6, 6, 6]);
  const testSet = await retinaSubset(dir, 'val', [2, 2, 2, 2, 2]);
  const r = await finetuneRun({ ...smallRunOptions(dir, train, testSet), finetune: { epochs: 3, batchSize: 8, learningRate: 0.02 } });
  assert.equal(r.record.backend.trainer, 'onnxruntime-cpu');
  assert.equal(r.record.backend.trainerNote, undefined);
  assert.equal(r.record.history.length, 3);
  const losses = r.record.history.map((h) => h.loss);
  assert.ok(losses[2]! < losses[0]!, `training loss falls: ${losses.join(', ')}`);
  assert.equal(r.record.metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0), 10);
});
