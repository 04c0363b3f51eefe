// The heads on the wasm backend (its own process: node --test runs each file separately).
// tfjs-backend-wasm 4.22 lacks some gradient kernels (conv backprop), but everything a head needs
// (MatMul, BatchNorm, Relu, Softmax and their gradients, the optimisers' updates) is there.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { headPreset, loadHead, predictProba, saveHead, trainHead, type HeadConfig } from '../../../src/engine/heads/index.js';
import { accuracy, blobs, maxAbsDiff, sklearnToy } from './toyData.js';

before(async () => {
  setWasmPaths(join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  assert.ok(await tf.setBackend('wasm'));
  assert.equal(tf.getBackend(), 'wasm');
});

const small = (kind: 'mlp1' | 'mlp2', o: Partial<HeadConfig> = {}) =>
  headPreset(kind, { hidden: kind === 'mlp1' ? [32] : [48, 24], epochs: 30, batchSize: 16, ...o });

test('wasm: mlp1 (BatchNorm + Dropout, Adadelta) and mlp2 train, learn, and free their tensors', async () => {
  const train = blobs([40, 40, 40], 16, 3, 1);
  const held = blobs([30, 30, 30], 16, 3, 2);
  for (const cfg of [small('mlp1'), small('mlp2', { optimizer: 'adam', learningRate: 0.01 }), small('mlp2', { optimizer: 'sgd', learningRate: 0.05 })]) {
    const before = tf.memory().numTensors;
    const head = await trainHead({ ...train, numClasses: 3, val: held, config: cfg });
    const acc = accuracy(predictProba(head.model, held.x), held.y, 3);
    assert.ok(acc > 0.9, `${cfg.kind}/${cfg.optimizer}: held-out accuracy ${acc}`);
    head.model.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
});

test('wasm: training is reproducible for a seed', async () => {
  const train = blobs([20, 20, 20], 8, 2, 3);
  const run = async (seed: number) => {
    const head = await trainHead({ ...train, numClasses: 3, config: small('mlp1', { epochs: 3, seed }) });
    const w = head.model.getWeights().map((t) => Array.from(t.dataSync()));
    head.model.dispose();
    return w;
  };
  assert.deepEqual(await run(5), await run(5));
  assert.notDeepEqual(await run(5), await run(6));
});

test('wasm: LR still matches sklearn, and a head saved on wasm loads with identical predictions', async () => {
  const ref = JSON.parse(readFileSync(new URL('./fixtures/sklearn_lr.json', import.meta.url), 'utf8')) as { default: { proba: number[][] } };
  const { x, y } = sklearnToy();
  const lr = await trainHead({ x, y, numClasses: 3, config: headPreset('lr') });
  assert.ok(maxAbsDiff(predictProba(lr.model, x), ref.default.proba.flat()) < 1e-6);

  const dir = await mkdtemp(join(tmpdir(), 'fttl-heads-wasm-'));
  try {
    const mlp = await trainHead({ x, y, numClasses: 3, config: small('mlp1', { epochs: 2 }) });
    for (const head of [lr, mlp]) {
      await saveHead(head, join(dir, head.config.kind));
      const loaded = await loadHead(join(dir, head.config.kind));
      assert.deepEqual(predictProba(loaded.model, x), predictProba(head.model, x));
      loaded.model.dispose();
      head.model.dispose();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
