// Real data: Google's MobileNet v1 α0.75 (TF.js) and RetinaMNIST fundus photos, on the wasm backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { featureModel } from '../../../src/engine/backbones/backbone.js';
import { extractFeatures } from '../../../src/engine/features/extractFeatures.js';
import { headPreset, predictProba, saveHead } from '../../../src/engine/heads/index.js';
import { tfjsRunner } from '../../../src/engine/inference/tfjsRunner.js';
import { getBackbone } from '../../../src/engine/pipeline/backboneSession.js';
import { predictionsOf } from '../../../src/engine/pipeline/runHelpers.js';
import type { RunRecord } from '../../../src/engine/runs/runRecord.js';
import { PendingRun, readPredictions } from '../../../src/engine/runs/runStore.js';
import { backboneActivations, backboneFilters, visualisableLayers } from '../../../src/engine/visualize/activations.js';
import { runEmbedding, runFeatureVectors } from '../../../src/engine/visualize/embedding.js';
import { gradCam, lastConvLayer } from '../../../src/engine/visualize/gradCam.js';
import { decodeImage } from '../../../src/engine/data/decodeImage.js';
import { runErrors } from '../../../src/engine/visualize/losses.js';
import { runModel } from '../../../src/engine/visualize/runModel.js';
import { normaliseInto } from '../../../src/engine/visualize/raster.js';
import { sharedData } from '../../helpers/shared.js';

const v1 = sharedData('mobilenet_v1_0.75_224_imagenet');
const retina = sharedData('retinamnist28');
const skip = v1.skip || retina.skip;

async function fundus(perClass: number): Promise<{ path: string; label: number }[]> {
  const root = join(retina.path, 'train');
  const classes = (await readdir(root)).sort();
  const items: { path: string; label: number }[] = [];
  for (const [label, name] of classes.entries()) {
    const files = (await readdir(join(root, name))).sort().slice(0, perClass);
    for (const f of files) items.push({ path: join(root, name, f), label });
  }
  return items;
}

test('MobileNet v1 0.75: conv_dw_1 activations of a fundus photo are 112×112×24 in a 4×6 grid', { skip }, async () => {
  await initBackend('wasm');
  const backbone = await getBackbone(v1.path);
  const layers = visualisableLayers(backbone.model);
  assert.deepEqual(layers.find((l) => l.name === 'conv_dw_1'), { name: 'conv_dw_1', className: 'DepthwiseConv2D', height: 112, width: 112, channels: 24, filters: 'depthwise' });
  assert.equal(layers.find((l) => l.name === 'conv1')?.filters, 'rgb');
  assert.ok(layers.some((l) => l.name === 'conv_pw_13_relu' && l.height === 7 && l.channels === 768));

  const [image] = await fundus(1);
  const before = tf.memory().numTensors;
  const maps = await backboneActivations(backbone, image!.path, 'conv_dw_1', { png: true });
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.deepEqual([maps.height, maps.width, maps.channels], [112, 112, 24]);
  assert.deepEqual(maps.grid, { rows: 4, cols: 6 });
  assert.equal(maps.tiles.length, 24 * 112 * 112);
  // The grid picture: 6 × 112 + 5 gaps wide, 4 × 112 + 3 high.
  const png = await sharp(maps.png!).metadata();
  assert.deepEqual([png.width, png.height], [677, 451]);

  // Same maps as the backbone's own feature model (a different code path: tf.model.predict).
  const fm = featureModel(backbone, 'conv_dw_1', 'none');
  const runner = tfjsRunner(fm, backbone.preprocess, backbone.inputSize);
  const direct = (await extractFeatures({ items: [image!], runner, resizeMode: 'stretch' })).features.data;
  for (const c of [0, 7, 23]) {
    const plane = Float32Array.from({ length: 112 * 112 }, (_, p) => direct[p * 24 + c]!);
    const expected = new Uint8Array(plane.length);
    normaliseInto(plane, expected);
    const got = maps.tiles.subarray(c * 112 * 112, (c + 1) * 112 * 112);
    let worst = 0;
    for (let p = 0; p < plane.length; p++) worst = Math.max(worst, Math.abs(got[p]! - expected[p]!));
    assert.ok(worst <= 1, `channel ${c}: off by ${worst}`);
  }
  // Grad-CAM on the ImageNet model itself: it ends act_softmax → reshape_2, and the softmax is stepped over.
  const imagenet = await gradCam(backbone.model, undefined, { pixels: await decodeImage(image!.path, 224, 'stretch'), height: 224, width: 224, preprocess: 'tf' });
  assert.deepEqual([imagenet.layer, imagenet.height, imagenet.score.kind, imagenet.probabilities.length], ['conv_pw_13_relu', 7, 'logit', 1000]);
  assert.equal(lastConvLayer(backbone.model), 'conv_pw_13_relu');
  const filters = await backboneFilters(backbone, 'conv1');
  assert.deepEqual([filters.kind, filters.count, filters.kernelHeight, filters.grid.rows, filters.grid.cols], ['rgb', 24, 3, 4, 6]);
  assert.equal(tf.memory().numTensors, before);
});

test('a transfer run on the real backbone: runModel + Grad-CAM, embedding from the feature cache, errors, and the CLI', { skip }, async () => {
  await initBackend('wasm');
  const backbone = await getBackbone(v1.path);
  const work = await mkdtemp(join(tmpdir(), 'fttl-vis-'));
  try {
    const runsDir = join(work, 'runs');
    const featureCacheDir = join(work, 'cache', 'features');
    const items = await fundus(2); // 10 images, 2 per grade
    const classes = (await readdir(join(retina.path, 'train'))).sort();
    const runner = tfjsRunner(featureModel(backbone, 'conv_pw_13_relu', 'avg'), backbone.preprocess, backbone.inputSize);
    const features = (await extractFeatures({ items, runner, resizeMode: 'stretch' })).features;
    const head = tf.sequential({ layers: [tf.layers.dense({ inputShape: [768], units: 5, activation: 'softmax', name: 'probs', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) })] });
    const probs = predictProba(head, features);
    const { predictions } = predictionsOf(items, probs, classes);
    const pending = await PendingRun.start(runsDir, 'vis-run');
    await saveHead({ config: headPreset('lr'), model: head, numClasses: 5, dim: 768, history: [], bestEpoch: null, stoppedEarly: false }, join(pending.stagingDir, 'head'));
    const record: RunRecord = {
      formatVersion: 1, id: 'vis-run', kind: 'transfer', model: 'LR · MobileNet v1', createdAt: new Date().toISOString(),
      config: {
        train: retina.path, test: null, backbone: v1.path, backboneId: backbone.id, backboneName: backbone.name, layer: 'conv_pw_13_relu', pooling: 'avg',
        resizeMode: 'stretch', inputSize: 224, preprocess: backbone.preprocess, seed: 1, testFraction: 0.3, valFraction: 0.1, head: { kind: 'lr' },
      },
      dataset: { fingerprint: 'f', splitSource: 'folders', classes, counts: { train: [0, 0, 0, 0, 0], val: [0, 0, 0, 0, 0], test: [2, 2, 2, 2, 2] } },
      skipped: [], backend: { name: 'wasm', threads: 1, runtime: 'tfjs-wasm' }, timings: {}, featureDim: 768, history: [], bestEpoch: null,
      metrics: {
        classes, count: 10, accuracy: 0, kappa: { unweighted: 0, linear: 0, quadratic: 0 }, confusionMatrix: classes.map(() => classes.map(() => 0)),
        report: { perClass: [], macro: { precision: 0, recall: 0, f1: 0, support: 10 }, weighted: { precision: 0, recall: 0, f1: 0, support: 10 }, accuracy: 0 },
        auc: null, aucPerClass: classes.map(() => null),
      },
      headDir: 'head',
    };
    const runDir = await pending.commit(record, predictions);
    head.dispose();

    // runModel: one differentiable model whose outputs are the run's predictions.
    const before = tf.memory().numTensors;
    const rm = await runModel(runDir);
    assert.equal(rm.camLayer, 'conv_pw_13_relu');
    const raw = await rm.loadImage(items[3]!.path);
    const cam = await gradCam(rm.model, undefined, raw);
    assert.deepEqual([cam.layer, cam.height, cam.width, cam.imageHeight, cam.imageWidth], ['conv_pw_13_relu', 7, 7, 224, 224]);
    assert.equal(cam.score.kind, 'logit');
    const saved = (await readPredictions(runDir))[3]!.probabilities;
    cam.probabilities.forEach((p, i) => assert.ok(Math.abs(p - saved[i]!) < 1e-4, `p[${i}] ${p} vs ${saved[i]}`));
    assert.equal(cam.classIndex, cam.predictedIndex);
    assert.ok(cam.heatmap.every((v) => v >= 0 && v <= 1) && cam.upsampled.length === 224 * 224 && cam.overlay.data.length === 224 * 224 * 4);
    const other = await gradCam(rm.model, 'conv_pw_11_relu', raw, (cam.classIndex + 1) % 5);
    assert.deepEqual([other.height, other.width], [14, 14]);
    rm.dispose();
    assert.equal(tf.memory().numTensors, before, 'runModel + gradCam leave nothing behind once disposed');

    // Embedding: the first call extracts into the cache, the second reads it back without the backbone.
    const cold = await runFeatureVectors(runDir, { featureCacheDir });
    assert.deepEqual([cold.extracted, cold.fromCache], [10, 0]);
    const warm = await runFeatureVectors(runDir, { featureCacheDir });
    assert.deepEqual([warm.extracted, warm.fromCache], [0, 10]);
    for (let i = 0; i < features.data.length; i++) assert.ok(Math.abs(warm.features.data[i]! - features.data[i]!) < 1e-4, `feature ${i}`);
    const map = await runEmbedding(runDir, { featureCacheDir, method: 'pca' });
    assert.equal(map.points.length, 10);
    assert.deepEqual(map.points.map((p) => p.correct), predictions.map((p) => p.label === p.predicted));
    assert.deepEqual(map.points.map((p) => p.path), items.map((i) => i.path));
    assert.equal(tf.memory().numTensors, before);

    const errors = await runErrors(runDir, { top: 3 });
    assert.equal(errors.items.length, 3);
    assert.ok(errors.items[0]!.loss >= errors.items[1]!.loss && errors.items[1]!.loss >= errors.items[2]!.loss);

    // The CLI over the same run (errors and embedding need no forward pass: the features are cached).
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--workdir', work, '--backend', 'cpu', '--json'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const e = cli(['errors', '--run', 'vis-run', '--cell', `${errors.items[0]!.labelIndex},${errors.items[0]!.predicted}`]);
    assert.ok((e.items as { path: string }[]).some((i) => i.path === errors.items[0]!.path));
    const emb = cli(['embedding', '--run', 'latest', '--method', 'umap', '--neighbors', '4']);
    assert.equal((emb.points as unknown[]).length, 10);
    assert.deepEqual(emb.umap, { seed: 1, nNeighbors: 4, minDist: 0.1 });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
