// The fine-tuning pipeline on a few real fundus photos and small seeded-random backbones (fast):
// what changes and what must not, FT#2's starting head, memory, cancellation, crashes, augmentation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { featureModel } from '../../../src/engine/backbones/backbone.js';
import { preprocess } from '../../../src/engine/backbones/preprocess.js';
import { decodeImage } from '../../../src/engine/data/decodeImage.js';
import {
  buildTrainableNetwork,
  finetuneConfig,
  headFromRun,
  loadModelFolder,
  planFinetune,
  pooledDim,
  randomHead,
  trainFinetune,
} from '../../../src/engine/finetune/index.js';
import { headPreset, loadHead, predictProba } from '../../../src/engine/heads/index.js';
import { getBackbone } from '../../../src/engine/pipeline/backboneSession.js';
import { classifierFromRun, classifyImages } from '../../../src/engine/pipeline/classify.js';
import { finetuneRun, type FinetuneRunOptions } from '../../../src/engine/pipeline/finetuneRun.js';
import { transferRun } from '../../../src/engine/pipeline/transferRun.js';
import { readRun } from '../../../src/engine/runs/runStore.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { mobilenet025, retina, retinaSubset, smallRunOptions } from './fixtures.js';

// Transfer runs here compute features with tfjs (independent of the optional ONNX runtime).
process.env.FTTL_RUNTIME = 'tfjs';

// Keras' MobileNet v1 α0.25 ImageNet weights (real activations; seeded-random nets' vanish): BatchNorm in
// the trainable block, a 7×7×256 cut, cheap at 224 px.
const h5 = mobilenet025;
const BACKBONE = h5.path;
const skip = retina.skip || h5.skip;
let dir: string;
let train: string;
let testSet: string;

before(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'fttl-finetune-'));
  if (skip) return;
  train = await retinaSubset(dir, 'train', [6, 6, 6, 6, 6]);
  testSet = await retinaSubset(dir, 'val', [2, 2, 2, 2, 2]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (over: Partial<FinetuneRunOptions> = {}): FinetuneRunOptions => ({
  ...smallRunOptions(dir, train, testSet),
  finetune: { epochs: 2, batchSize: 8, learningRate: 0.01 },
  ...over,
});

const values = (ts: tf.Tensor[]) => ts.map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
const sameBits = (a: Buffer[], b: Buffer[]) => a.length === b.length && a.every((x, i) => x.equals(b[i]!));

test('only the unfrozen block and the head change; the frozen part (its BatchNorm statistics included) stays bit-identical', { skip }, async () => {
  const backbone = await getBackbone(BACKBONE);
  const before = new Map(backbone.model.layers.map((l) => [l.name, values(l.getWeights())]));
  const r = await finetuneRun(base({ finetune: { epochs: 2, batchSize: 8, learningRate: 0.05, batchNorm: 'train' } }));
  assert.equal(r.record.kind, 'finetune');
  assert.equal(r.record.status, 'complete');
  assert.equal(r.record.history.length, 2);
  assert.ok(r.record.bestEpoch === 1 || r.record.bestEpoch === 2);
  assert.deepEqual(r.record.finetune?.trainableLayers, ['conv_dw_13', 'conv_dw_13_bn', 'conv_dw_13_relu', 'conv_pw_13', 'conv_pw_13_bn', 'conv_pw_13_relu']);
  // The shared backbone object was never touched.
  for (const l of backbone.model.layers) assert.ok(sameBits(values(l.getWeights()), before.get(l.name)!), `backbone ${l.name} changed`);

  const saved = await loadModelFolder(join(r.runDir, 'model'));
  const trainable = new Set(r.record.finetune!.trainableLayers);
  let frozenChecked = 0;
  for (const l of saved.layers) {
    if (l.weights.length === 0 || l.name.startsWith('head_')) continue;
    const same = sameBits(values(l.getWeights()), before.get(l.name)!);
    if (trainable.has(l.name)) assert.ok(!same, `${l.name} should have been trained`);
    else {
      assert.ok(same, `frozen ${l.name} changed`);
      frozenChecked++;
    }
  }
  assert.ok(frozenChecked >= 25, `${frozenChecked} frozen layers with weights compared`);
  // Trainable BatchNorm ran on batch statistics: its moving mean moved.
  const bnNow = values(saved.getLayer('conv_pw_13_bn').getWeights());
  assert.ok(!bnNow[2]!.equals(before.get('conv_pw_13_bn')![2]!));
  saved.dispose();
  assert.deepEqual((await readdir(r.runDir)).sort(), ['model', 'predictions.json', 'run.json']);
});

test('batchNorm "frozen" keeps the unfrozen block\'s BatchNorm statistics while its weights learn', { skip }, async () => {
  const backbone = await getBackbone(BACKBONE);
  const r = await finetuneRun(base({ finetune: { epochs: 1, batchSize: 8, learningRate: 0.05, batchNorm: 'frozen' } }));
  const saved = await loadModelFolder(join(r.runDir, 'model'));
  const [gamma, , mean, variance] = values(saved.getLayer('conv_pw_13_bn').getWeights());
  const [g0, , m0, v0] = values(backbone.model.getLayer('conv_pw_13_bn').getWeights());
  assert.ok(mean!.equals(m0!) && variance!.equals(v0!), 'moving statistics unchanged');
  assert.ok(!gamma!.equals(g0!), 'gamma trained');
  saved.dispose();
});

test('FT#2 starts from exactly the chosen head; heads that do not fit are refused', { skip }, async () => {
  const transfer = await transferRun({
    ...base(),
    head: headPreset('mlp1', { epochs: 3, seed: 5 }),
  } as Parameters<typeof transferRun>[0]);
  const backbone = await getBackbone(BACKBONE);
  const plan = planFinetune(backbone, { blocks: 1 });
  const want = { backboneId: backbone.id, backboneName: backbone.name, featureLayer: plan.featureLayer, pooling: plan.pooling, dim: pooledDim(backbone, plan), classes: transfer.record.dataset.classes };
  const head = await headFromRun(transfer.runDir, want);
  const saved = await loadHead(join(transfer.runDir, 'head'));
  const net = await buildTrainableNetwork(backbone, plan, head.model);
  for (const l of saved.model.layers) {
    assert.ok(sameBits(values(net.model.getLayer(`head_${l.name}`).getWeights()), values(l.getWeights())), `head_${l.name}`);
  }
  // Before any training the network is the transfer model: same probabilities on the same images.
  const pixels = await Promise.all(transfer.predictions.slice(0, 4).map((p) => decodeImage(p.path, backbone.inputSize, 'stretch')));
  const x = tf.tensor4d(Float32Array.from(pixels.flatMap((p) => Array.from(p))), [4, backbone.inputSize, backbone.inputSize, 3]);
  const input = preprocess(backbone.preprocess, x);
  const feats = featureModel(backbone, plan.featureLayer, plan.pooling).predict(input) as tf.Tensor;
  const viaHead = predictProba(saved.model, { data: feats.dataSync() as Float32Array, rows: 4, dim: want.dim });
  const prefix = featureModel(backbone, plan.cutLayer, 'none').predict(input) as tf.Tensor;
  const viaNet = (net.model.predict(prefix) as tf.Tensor).dataSync();
  for (let i = 0; i < viaHead.length; i++) assert.ok(Math.abs(viaHead[i]! - viaNet[i]!) < 1e-6);
  tf.dispose([x, input, feats, prefix]);
  net.model.dispose();
  head.model.dispose();
  saved.model.dispose();

  const refused = async (w: Partial<typeof want>, text: RegExp) =>
    assert.rejects(headFromRun(transfer.runDir, { ...want, ...w }), (e: unknown) => e instanceof FttlError && text.test(e.message));
  await refused({ backboneId: 'mobilenet_v1_0.25_64@000000000000' }, /trained on backbone .* not on mobilenet_v1_0\.25_64@000000000000/);
  await refused({ featureLayer: 'conv_pw_11_relu' }, /trained on conv_pw_13_relu \(avg\) features, but this fine-tune feeds its head conv_pw_11_relu/);
  await refused({ classes: ['a', 'b', 'c', 'd', 'e'] }, /predicts classes/);
  await refused({ dim: 128 }, /maps 256-d features/);

  // Through the pipeline: recorded as FT#2, and a fine-tuning run is no head source.
  const ft2 = await finetuneRun(base({ headFrom: transfer.record.id, finetune: { epochs: 1, batchSize: 8 } }));
  assert.equal(ft2.record.finetune?.headInit, 'run');
  assert.equal(ft2.record.finetune?.headFromRun, transfer.record.id);
  assert.match(ft2.record.model, /^FT#2 MLP-1 head of /);
  await assert.rejects(finetuneRun(base({ headFrom: ft2.runDir })), /is a finetune run; --head-from needs a transfer-learning run/);
});

test('memory stays flat over epochs, and everything is freed afterwards', { skip }, async () => {
  const backbone = await getBackbone(BACKBONE);
  const plan = planFinetune(backbone, { blocks: 1 });
  const head = randomHead('mlp1', pooledDim(backbone, plan), 3, 1);
  const net = await buildTrainableNetwork(backbone, plan, head.model);
  head.model.dispose();
  const size = plan.cutShape.reduce((a, b) => a * b, 1);
  const n = 20;
  const data = Float32Array.from({ length: n * size }, (_, i) => (i * 7919) % 13 / 4);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  const load = async (idx: readonly number[]) => {
    const out = new Float32Array(idx.length * size);
    idx.forEach((r, k) => out.set(data.subarray(r * size, (r + 1) * size), k * size));
    return out;
  };
  const start = tf.memory().numTensors;
  const counts: number[] = [];
  const result = await trainFinetune({
    net,
    config: finetuneConfig({ epochs: 4, batchSize: 6, learningRate: 0.05 }),
    train: { labels, load },
    val: { labels: labels.subarray(0, 6), load },
    onEpoch: () => counts.push(tf.memory().numTensors),
  });
  assert.equal(result.history.length, 4);
  assert.ok(counts.every((c) => c === counts[0]), `tensors per epoch: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, start, 'optimizer state and the best-epoch snapshot are freed');
  net.model.dispose();
});

test('cancelled after epoch 2: the best epoch is kept, evaluated, saved, and says so; it classifies end to end', { skip }, async () => {
  const controller = new AbortController();
  const r = await finetuneRun(
    base({
      finetune: { epochs: 6, batchSize: 8, learningRate: 0.05 },
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'fine-tune' && p.message?.startsWith('epoch 2/6 done')) controller.abort();
      },
    }),
  );
  const rec = await readRun(r.runDir);
  assert.equal(rec.status, 'cancelled');
  assert.equal(rec.history.length, 2);
  const best = rec.history.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
  assert.equal(rec.bestEpoch, best.epoch);
  assert.ok(!(await readdir(r.runDir)).includes('checkpoint'), 'the checkpoint became the run\'s model');
  // The saved model is the best epoch's: classifying the test images end to end gives the recorded probabilities.
  const classifier = await classifierFromRun(r.runDir);
  const paths = r.predictions.slice(0, 3).map((p) => p.path);
  const out = await classifyImages(classifier, paths, 1);
  out.forEach((o, i) => o.probabilities.forEach((p, k) => assert.ok(Math.abs(p - r.predictions[i]!.probabilities[k]!) < 1e-5)));
  classifier.dispose();
});

test('a run that fails after a checkpoint keeps it (status "failed") and the error says where', { skip }, async () => {
  const err = await finetuneRun(
    base({
      finetune: { epochs: 4, batchSize: 8 },
      onProgress: (p) => {
        if (p.phase === 'fine-tune' && p.message?.startsWith('epoch 2/4 done')) throw new Error('disk on fire');
      },
    }),
  ).then(
    () => assert.fail('should have failed'),
    (e: Error) => e,
  );
  const match = /disk on fire \(the best checkpoint so far, epoch ([12]), is kept in (.+)\)$/.exec(err.message);
  assert.ok(match, err.message);
  const note = JSON.parse(await readFile(join(match[2]!, 'checkpoint.json'), 'utf8'));
  assert.equal(note.status, 'failed');
  assert.equal(note.error, 'disk on fire');
  assert.equal(note.bestEpoch, Number(match[1]));
  const checkpoint = await loadModelFolder(match[2]!);
  assert.deepEqual(checkpoint.inputs[0]!.shape, [null, 7, 7, 256]);
  checkpoint.dispose();
  // A run cancelled before its first epoch keeps nothing.
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(finetuneRun(base({ signal: controller.signal })), (e: unknown) => e instanceof FttlError && e.kind === 'cancelled');
  assert.ok((await stat(match[2]!)).isDirectory());
});

test('augmented fine-tuning is reproducible for a seed and runs the frozen part per batch', { skip }, async () => {
  const run = (seed: number) => finetuneRun(base({ seed, finetune: { epochs: 2, batchSize: 8, learningRate: 0.05, augment: { rotate: 'free' } as never } }));
  const a = await run(3);
  const b = await run(3);
  const c = await run(4);
  const strip = (h: typeof a.record.history) => h.map(({ seconds: _s, ...rest }) => rest);
  assert.deepEqual(strip(a.record.history), strip(b.record.history));
  assert.deepEqual(a.predictions, b.predictions);
  assert.notDeepEqual(strip(a.record.history), strip(c.record.history));
  assert.equal(a.record.finetune?.prefixCached, false);
  assert.equal((a.record.finetune?.config['augment'] as { rotate: string }).rotate, 'free');
});
