// Proves the TypeScript architectures are Keras's: real pretrained weights copied in layer by layer
// must reproduce the reference models' outputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileSystemModelHandler } from '../../../src/engine/backbones/fsModelIO.js';
import { buildMobileNetV1 } from '../../../src/engine/backbones/mobilenetV1.js';
import { buildMobileNetV2 } from '../../../src/engine/backbones/mobilenetV2.js';
import { loadBackbone } from '../../../src/engine/backbones/backbone.js';
import { writeKerasH5 } from '../../../src/engine/weights/writeKerasH5.js';
import { sharedData } from '../../helpers/shared.js';
import { maxAbsDiff, useWasm } from './wasmBackend.js';

await useWasm();

/** Copies every weighted layer of `ours` from the same-named layer of `ref`; returns how many. */
function copyWeights(ours: tf.LayersModel, ref: tf.LayersModel): number {
  let n = 0;
  for (const layer of ours.layers) {
    if (layer.weights.length === 0) continue;
    const src = ref.getLayer(layer.name); // throws if Keras's name is not there
    const w = src.getWeights();
    assert.deepEqual(w.map((t) => t.shape), layer.weights.map((v) => v.shape), `shapes of ${layer.name}`);
    layer.setWeights(w);
    n++;
  }
  return n;
}

const input = () => tf.randomUniform([2, 224, 224, 3], -1, 1, 'float32', 42) as tf.Tensor4D;

const v1 = sharedData('mobilenet_v1_0.75_224_imagenet');
test('buildMobileNetV1(α0.75, top) with the TF.js ImageNet weights matches the TF.js model', { skip: v1.skip }, async () => {
  const ref = await tf.loadLayersModel(fileSystemModelHandler(join(v1.path, 'model.json')));
  const ours = buildMobileNetV1({ alpha: 0.75, includeTop: true, init: 'zeros' });
  assert.equal(ours.countParams(), ref.countParams()); // 2,601,976
  assert.equal(copyWeights(ours, ref), 55);
  const x = input();
  const [a, b] = [ref.predict(x) as tf.Tensor, ours.predict(x) as tf.Tensor];
  assert.deepEqual(b.shape, [2, 1000]);
  const diff = maxAbsDiff(a, b);
  assert.ok(diff < 1e-4, `softmax max |diff| ${diff}`);
  const feat = (m: tf.LayersModel) => tf.model({ inputs: m.inputs, outputs: m.getLayer('conv_pw_13_relu').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
  const fd = maxAbsDiff(feat(ref), feat(ours));
  assert.ok(fd < 1e-4, `conv_pw_13_relu max |diff| ${fd}`);
  ref.dispose();
  ours.dispose();
});

const tm = sharedData('teachable_machine_mobilenet_v2_0.35_224');
test('buildMobileNetV2(α0.35) with the Teachable Machine weights matches its 1280-d backbone', { skip: tm.skip }, async () => {
  const full = await tf.loadLayersModel(fileSystemModelHandler(join(tm.path, 'model.json')));
  const trunkAndPool = full.layers[0] as tf.LayersModel; // Sequential[Model(MobileNetV2 trunk), GlobalAveragePooling2D]
  const trunk = trunkAndPool.layers[0] as tf.LayersModel;
  const ours = buildMobileNetV2({ alpha: 0.35, includeTop: false, init: 'zeros' });
  assert.deepEqual(ours.layers.map((l) => l.name), trunk.layers.map((l) => l.name));
  assert.equal(ours.countParams(), 410_208);
  assert.equal(copyWeights(ours, trunk), 104);
  const x = input();
  const ref = trunkAndPool.predict(x) as tf.Tensor;
  const mine = tf.mean(ours.predict(x) as tf.Tensor, [1, 2]);
  assert.deepEqual(ref.shape, [2, 1280]);
  const diff = maxAbsDiff(ref, mine);
  assert.ok(diff < 1e-4, `max |diff| ${diff}`);
  full.dispose();
  ours.dispose();
});

test('buildMobileNetV2(α1.0) with the embedded nsfwjs weights matches its out_relu', async () => {
  const emb = await loadBackbone('default');
  const ours = buildMobileNetV2({ alpha: 1.0, includeTop: false, init: 'zeros' });
  assert.equal(copyWeights(ours, emb.model), 104);
  const x = input();
  const ref = tf.model({ inputs: emb.model.inputs, outputs: emb.model.getLayer('out_relu').output as tf.SymbolicTensor }).predict(x) as tf.Tensor;
  const diff = maxAbsDiff(ref, ours.predict(x) as tf.Tensor);
  assert.ok(diff < 1e-4, `max |diff| ${diff}`);
  emb.model.dispose();
  ours.dispose();
});

test('Keras .h5 path: the TF.js MobileNet v1 α0.75 weights written as Keras h5 load back and classify the same', { skip: v1.skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-bb-'));
  try {
    const ref = await loadBackbone(v1.path);
    const h5 = join(dir, 'mobilenet_7_5_224_tf.h5'); // Keras's name for α0.75, 224, with top
    await writeKerasH5(h5, ref.model);
    const viaKeras = await loadBackbone(h5);
    assert.equal(viaKeras.architecture, 'mobilenet_v1');
    assert.equal(viaKeras.alpha, 0.75);
    assert.equal(viaKeras.id.split('@')[1], ref.id.split('@')[1], 'same weights, same fingerprint');
    const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 3);
    const diff = maxAbsDiff(ref.model.predict(x) as tf.Tensor, viaKeras.model.predict(x) as tf.Tensor);
    assert.ok(diff < 1e-6, `max |diff| ${diff}`);
    ref.model.dispose();
    viaKeras.model.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
