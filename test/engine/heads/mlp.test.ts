import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { headPreset, predictProba, trainHead, type EpochRecord, type HeadConfig } from '../../../src/engine/heads/index.js';
import { Rng } from '../../../src/engine/util/rng.js';
import { accuracy, blobs } from './toyData.js';

before(async () => {
  await tf.setBackend('cpu');
});

// The presets' structure at toy size, so the folder's tests stay fast on the cpu backend.
const small = (kind: 'mlp1' | 'mlp2', o: Partial<HeadConfig> = {}) =>
  headPreset(kind, { hidden: kind === 'mlp1' ? [32] : [48, 24], epochs: 30, batchSize: 16, ...o });

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((t) => Array.from(t.dataSync()));
}

test('mlp1 and mlp2 learn a separable toy problem, and tensor memory stays flat', async () => {
  const train = blobs([40, 40, 40], 16, 3, 1);
  const held = blobs([30, 30, 30], 16, 3, 2);
  for (const [kind, cfg] of [['mlp1', small('mlp1')], ['mlp2', small('mlp2', { optimizer: 'adam', learningRate: 0.01 })]] as const) {
    const before = tf.memory().numTensors;
    const epochs: EpochRecord[] = [];
    const head = await trainHead({ ...train, numClasses: 3, val: held, config: cfg, onEpoch: (r) => epochs.push(r) });
    assert.deepEqual(epochs, head.history);
    assert.equal(head.history.length, 30);
    const acc = accuracy(predictProba(head.model, held.x), held.y, 3);
    assert.ok(acc > 0.9, `${kind}: held-out accuracy ${acc}`);
    assert.ok(head.history.at(-1)!.valAccuracy! > 0.9);
    assert.equal(head.bestEpoch, null);
    // The model is the only thing left holding tensors.
    head.model.dispose();
    assert.equal(tf.memory().numTensors, before, `${kind} leaked tensors`);
  }
});

test('the model has the seed layout: mlp1 Dense-BN-Dropout-softmax, mlp2 without BN', async () => {
  const train = blobs([5, 5], 4, 3, 1);
  const names = async (cfg: HeadConfig) => {
    const head = await trainHead({ ...train, numClasses: 2, config: { ...cfg, epochs: 1 } });
    const layers = head.model.layers.map((l) => l.getClassName());
    head.model.dispose();
    return layers;
  };
  assert.deepEqual(await names(headPreset('mlp1', { hidden: [8] })), ['Dense', 'BatchNormalization', 'Dropout', 'Dense']);
  assert.deepEqual(await names(headPreset('mlp2', { hidden: [8, 4] })), ['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']);
});

test('training is reproducible for a seed and differs across seeds', async () => {
  const train = blobs([20, 20, 20], 8, 2, 3);
  const run = async (seed: number) => {
    const head = await trainHead({ ...train, numClasses: 3, config: small('mlp1', { epochs: 3, seed }) });
    const w = weightsOf(head.model);
    head.model.dispose();
    return { w, loss: head.history.map((r) => r.loss) };
  };
  const a = await run(7);
  const b = await run(7);
  const c = await run(8);
  assert.deepEqual(a.w, b.w);
  assert.deepEqual(a.loss, b.loss);
  assert.notDeepEqual(a.w, c.w);
});

test('balanced class weights move the decision towards the rare class', async () => {
  const train = blobs([190, 10], 2, 1.5, 4);
  const held = blobs([100, 100], 2, 1.5, 5);
  const rareRecall = async (classWeight: HeadConfig['classWeight'], kind: 'lr' | 'mlp1') => {
    const cfg = kind === 'lr'
      ? headPreset('lr', { classWeight })
      : headPreset('mlp1', { hidden: [16], batchNorm: false, dropout: 0, optimizer: 'adam', learningRate: 0.01, epochs: 20, batchSize: 32, classWeight });
    const head = await trainHead({ ...train, numClasses: 2, config: cfg });
    const p = predictProba(head.model, held.x);
    head.model.dispose();
    let hit = 0;
    for (let i = 0; i < held.y.length; i++) if (held.y[i] === 1 && p[i * 2 + 1]! > 0.5) hit++;
    return hit / 100;
  };
  for (const kind of ['lr', 'mlp1'] as const) {
    const plain = await rareRecall('none', kind);
    const balanced = await rareRecall('balanced', kind);
    const explicit = await rareRecall([10 / 19, 10], kind);
    assert.ok(balanced > plain + 0.2, `${kind}: rare-class recall ${plain} -> ${balanced} with balanced weights`);
    assert.equal(explicit, balanced, `${kind}: 'balanced' is 200 / (2 * [190, 10]) = [10/19, 10]`);
  }
});

test('early stopping picks the best validation epoch and restores its weights', async () => {
  // Random labels: the net can only memorise, so validation loss bottoms out early and then climbs.
  const rng = new Rng(11);
  const noise = (rows: number, dim: number) => ({
    x: { data: Float32Array.from({ length: rows * dim }, () => rng.next() * 2 - 1), rows, dim },
    y: Int32Array.from({ length: rows }, () => rng.int(3)),
  });
  const train = noise(90, 12);
  const val = noise(60, 12);
  const patience = 3;
  const before = tf.memory().numTensors;
  const head = await trainHead({
    ...train,
    numClasses: 3,
    val,
    config: small('mlp1', { hidden: [64], optimizer: 'adam', learningRate: 0.01, epochs: 60, earlyStopping: { patience } }),
  });
  const losses = head.history.map((r) => r.valLoss!);
  const best = losses.indexOf(Math.min(...losses)) + 1;
  assert.ok(head.stoppedEarly, `val losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  assert.equal(head.bestEpoch, best);
  assert.equal(head.history.length, best + patience);
  // The model now holds the best epoch's weights (BatchNorm's moving statistics included).
  const p = predictProba(head.model, val.x);
  let loss = 0;
  for (let i = 0; i < val.y.length; i++) loss -= Math.log(Math.min(Math.max(p[i * 3 + val.y[i]!]!, 1e-7), 1 - 1e-7));
  // Equal up to float32 summation order (the epoch's loss came from the training engine's predict).
  assert.ok(Math.abs(loss / val.y.length - head.history[best - 1]!.valLoss!) < 1e-6, `${loss / val.y.length} vs ${head.history[best - 1]!.valLoss}`);
  head.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('early stopping without a validation set is refused', async () => {
  const train = blobs([5, 5], 4, 3, 1);
  await assert.rejects(
    trainHead({ ...train, numClasses: 2, config: small('mlp1', { earlyStopping: { patience: 2 } }) }),
    { name: 'FttlError', kind: 'bad-input', message: /validation/ },
  );
});

test('cancellation between batches throws FttlError(cancelled) and frees every tensor', async () => {
  const train = blobs([50, 50], 8, 2, 6);
  const before = tf.memory().numTensors;
  // From the epoch callback...
  const ctl = new AbortController();
  await assert.rejects(
    trainHead({ ...train, numClasses: 2, config: small('mlp1'), signal: ctl.signal, onEpoch: (r) => r.epoch === 2 && ctl.abort() }),
    { name: 'FttlError', kind: 'cancelled' },
  );
  assert.equal(tf.memory().numTensors, before);
  // ...and from a timer while batches run: the loop yields to the event loop so the abort lands.
  const t0 = performance.now();
  await assert.rejects(
    trainHead({ ...train, numClasses: 2, config: small('mlp2', { epochs: 10_000 }), signal: AbortSignal.timeout(200) }),
    { name: 'FttlError', kind: 'cancelled' },
  );
  assert.ok(performance.now() - t0 < 5000);
  assert.equal(tf.memory().numTensors, before);
});

test('bad training inputs give clear bad-input errors', async () => {
  const { x, y } = blobs([5, 5], 4, 3, 1);
  const cfg = small('mlp1');
  const reject = (p: Promise<unknown>, re: RegExp) => assert.rejects(p, { name: 'FttlError', kind: 'bad-input', message: re });
  await reject(trainHead({ x, y: y.map((c) => c * 2), numClasses: 2, config: cfg }), /labels must be in \[0, 1\]/);
  await reject(trainHead({ x, y: y.subarray(1), numClasses: 2, config: cfg }), /10 feature rows but 9 labels/);
  await reject(trainHead({ x: { ...x, dim: 5 }, y, numClasses: 2, config: cfg }), /holds 40 numbers/);
  await reject(trainHead({ x, y, numClasses: 2, val: { x: { data: new Float32Array(3), rows: 1, dim: 3 }, y: new Int32Array(1) }, config: cfg }), /3-d/);
  await reject(trainHead({ x, y, numClasses: 2, config: { ...cfg, classWeight: [1, 2, 3] } }), /3 weights but there are 2 classes/);
  await reject(trainHead({ x, y, numClasses: 2, config: { ...cfg, learningRate: -1 } }), /learningRate/);
  const head = await trainHead({ x, y, numClasses: 2, config: { ...cfg, epochs: 1 } });
  assert.throws(() => predictProba(head.model, { data: new Float32Array(6), rows: 2, dim: 3 }), { kind: 'bad-input', message: /expects 4-d/ });
  head.model.dispose();
});
