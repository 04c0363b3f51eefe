// The ONNX graphs FTTL exports compute what the tfjs models compute: real pretrained weights
// (../shared), VGG-16 with random weights, every preprocessing kind, flatten / avg / none pooling.
// Tolerances are pinned a few times above what was measured (float32 summation order differs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureModel, loadBackbone, type Backbone, type PoolingMode } from '../../../src/engine/backbones/backbone.js';
import { onnxRunner } from '../../../src/engine/inference/onnx/onnxRunner.js';
import { tfjsRunner } from '../../../src/engine/inference/tfjsRunner.js';
import { sharedData } from '../../helpers/shared.js';
import { useWasm } from '../backbones/wasmBackend.js';
import { randomPixels, runBoth } from './helpers.js';

await useWasm();
const cacheDir = await mkdtemp(join(tmpdir(), 'fttl-onnx-parity-'));
after(() => rm(cacheDir, { recursive: true, force: true }));

async function check(b: Backbone, layer: string | undefined, pooling: PoolingMode | undefined, tolerance: number, wholeModel = false) {
  const model = wholeModel ? b.model : featureModel(b, layer, pooling);
  const key = `${b.id}|${wholeModel ? 'whole' : `${layer ?? b.defaultFeature.layer}|${pooling ?? b.defaultFeature.pooling}`}`;
  const onnx = await onnxRunner({ model, key, preprocess: b.preprocess }, { cacheDir, threads: 2 });
  const ref = tfjsRunner(model, b.preprocess, b.inputSize);
  assert.equal(onnx.outputSize, ref.outputSize);
  assert.equal(onnx.runtime, 'onnxruntime-cpu');
  const r = await runBoth(onnx, ref, randomPixels(2, b.inputSize), 2);
  if (process.env.FTTL_TEST_VERBOSE) console.log(key, r.maxAbsDiff, r.maxAbs);
  assert.ok(r.maxAbs > 0, "non-trivial outputs");
  assert.ok(r.maxAbsDiff <= tolerance, `${key}: max |onnx − tfjs| ${r.maxAbsDiff} > ${tolerance} (max |tfjs| ${r.maxAbs})`);
  onnx.dispose();
  return { onnx, r };
}

const v1 = sharedData('mobilenet_v1_0.75_224_imagenet');
test('MobileNet v1 α0.75 (TF.js ImageNet weights, TF SAME padding): features and the softmax top match tfjs', { skip: v1.skip }, async () => {
  const b = await loadBackbone(v1.path);
  const { onnx } = await check(b, undefined, undefined, 1e-4); // conv_pw_13_relu, avg: measured 1.3e-5 (values 0..6)
  assert.equal(onnx.exported, true);
  await check(b, 'conv_pw_13_relu', 'flatten', 2e-4); // 7×7×768 map: measured 6e-5
  const top = await check(b, undefined, undefined, 1e-5, true); // softmax probabilities: measured 8.5e-7
  assert.equal(top.onnx.outputSize, 1000);
  let sum = 0;
  for (let i = 0; i < 1000; i++) sum += top.r.a[i]!;
  assert.ok(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
  // A second runner for the same backbone/layer/pooling reuses the cached graph.
  const again = await onnxRunner({ model: featureModel(b), key: `${b.id}|${b.defaultFeature.layer}|${b.defaultFeature.pooling}`, preprocess: b.preprocess }, { cacheDir });
  assert.equal(again.exported, false);
  assert.equal(again.modelPath, onnx.modelPath);
  again.dispose();
  b.model.dispose();
});

const tm = sharedData('teachable_machine_mobilenet_v2_0.35_224');
test('MobileNetV2 α0.35 (Teachable Machine weights, residual adds): out_relu avg and block_5_add as a map match tfjs', { skip: tm.skip }, async () => {
  const b = await loadBackbone(tm.path);
  await check(b, undefined, undefined, 1e-4); // measured 1.4e-5 (values 0..6)
  await check(b, 'block_5_add', 'none', 5e-4); // 28×28×32 in NHWC order; measured 5.4e-5 (values up to ~40)
});

test('VGG-16 (random weights, 64 px, caffe preprocessing): block5_pool flattened in NHWC order and averaged match tfjs', async () => {
  const b = await loadBackbone('vgg16_64:random');
  const flat = await check(b, 'block5_pool', 'flatten', 5e-5); // 2×2×512 = 2048-d; measured 3.9e-6 (values ~1)
  assert.equal(flat.onnx.outputSize, 2048);
  await check(b, 'block5_pool', 'avg', 5e-5); // measured 1.4e-6
  await check(b, 'block3_conv2', 'none', 5e-4); // 16×16×256 map; measured 4.3e-5 (values ~20)
  b.model.dispose();
});

test('the embedded MobileNetV2 (x/255 preprocessing) matches tfjs', async () => {
  const b = await loadBackbone('default');
  await check(b, undefined, undefined, 1e-4); // measured 5.4e-6
});
