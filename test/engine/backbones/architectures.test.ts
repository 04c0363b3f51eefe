import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { buildVgg16 } from '../../../src/engine/backbones/vgg16.js';
import { buildMobileNetV1 } from '../../../src/engine/backbones/mobilenetV1.js';
import { buildMobileNetV2, makeDivisible } from '../../../src/engine/backbones/mobilenetV2.js';
import { readKerasH5, applyKerasWeights } from '../../../src/engine/weights/kerasH5.js';
import { sharedData } from '../../helpers/shared.js';

await tf.setBackend('cpu');

const weightShapes = (m: tf.LayersModel) =>
  Object.fromEntries(m.layers.filter((l) => l.weights.length > 0).map((l) => [l.name, l.weights.map((w) => w.shape)]));

test('VGG-16 with top: Keras layer names, weight shapes and 138,357,544 parameters', () => {
  const m = buildVgg16({ includeTop: true, init: 'zeros' }); // zeros: no 138 M random draws
  const convs = [[1, 2], [2, 2], [3, 3], [4, 3], [5, 3]] as const;
  const expected = [
    'input_1',
    ...convs.flatMap(([b, n]) => [...Array.from({ length: n }, (_, i) => `block${b}_conv${i + 1}`), `block${b}_pool`]),
    'flatten', 'fc1', 'fc2', 'predictions',
  ];
  assert.deepEqual(m.layers.map((l) => l.name), expected);
  assert.equal(m.countParams(), 138_357_544);
  const shapes = weightShapes(m);
  assert.deepEqual(shapes['block1_conv1'], [[3, 3, 3, 64], [64]]);
  assert.deepEqual(shapes['block3_conv1'], [[3, 3, 128, 256], [256]]);
  assert.deepEqual(shapes['block5_conv3'], [[3, 3, 512, 512], [512]]);
  assert.deepEqual(shapes['fc1'], [[25088, 4096], [4096]]);
  assert.deepEqual(shapes['fc2'], [[4096, 4096], [4096]]);
  assert.deepEqual(shapes['predictions'], [[4096, 1000], [1000]]);
  assert.deepEqual(m.getLayer('block5_pool').outputShape, [null, 7, 7, 512]);
  m.dispose();
});

test('VGG-16 without top: 14,714,688 parameters, ends at block5_pool; small inputs forward', () => {
  const m = buildVgg16({ includeTop: false, inputSize: 32, seed: 3 });
  assert.equal(m.countParams(), 14_714_688);
  assert.equal(m.layers.at(-1)!.name, 'block5_pool');
  assert.deepEqual(m.outputs[0]!.shape, [null, 1, 1, 512]);
  const y = m.predict(tf.randomNormal([1, 32, 32, 3], 0, 50, 'float32', 1)) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 1, 1, 512]);
  assert.ok(Number.isFinite(y.sum().dataSync()[0]!));
  m.dispose();
});

test('seeded random weights are reproducible; other seeds differ', () => {
  const first = (seed: number) => {
    const m = buildMobileNetV2({ alpha: 0.35, includeTop: false, inputSize: 32, seed });
    const v = Array.from(m.getLayer('Conv1').getWeights()[0]!.dataSync().slice(0, 8));
    m.dispose();
    return v;
  };
  assert.deepEqual(first(5), first(5));
  assert.notDeepEqual(first(5), first(6));
});

test('MobileNet v1: Keras 2.2+ layer names (conv_pad_N before strided blocks) and Keras parameter counts', () => {
  const m = buildMobileNetV1({ alpha: 1.0, includeTop: true, init: 'zeros' });
  const strided = new Set([2, 4, 6, 12]);
  const expected = ['input_1', 'conv1_pad', 'conv1', 'conv1_bn', 'conv1_relu'];
  for (let i = 1; i <= 13; i++) {
    if (strided.has(i)) expected.push(`conv_pad_${i}`);
    expected.push(...['conv_dw_', 'conv_pw_'].flatMap((p) => [`${p}${i}`, `${p}${i}_bn`, `${p}${i}_relu`]));
  }
  expected.push('global_average_pooling2d', 'reshape_1', 'dropout', 'conv_preds', 'act_softmax', 'reshape_2');
  assert.deepEqual(m.layers.map((l) => l.name), expected);
  assert.equal(m.countParams(), 4_253_864); // keras.applications.MobileNet(alpha=1.0)
  assert.deepEqual(m.getLayer('conv_pw_13_relu').outputShape, [null, 7, 7, 1024]);
  m.dispose();
  const noTop = buildMobileNetV1({ alpha: 1.0, includeTop: false, init: 'zeros' });
  assert.equal(noTop.countParams(), 3_228_864);
  noTop.dispose();
});

test('MobileNetV2: Keras layer names, channel rounding and parameter counts', () => {
  assert.deepEqual([0.35, 0.5, 0.75, 1.0, 1.3, 1.4].map((a) => makeDivisible(32 * a)), [16, 16, 24, 32, 40, 48]);
  const m = buildMobileNetV2({ alpha: 1.0, includeTop: true, init: 'zeros' });
  assert.equal(m.countParams(), 3_538_984); // keras.applications.MobileNetV2(alpha=1.0)
  const names = m.layers.map((l) => l.name);
  assert.deepEqual(names.slice(0, 11), [
    'input_1', 'Conv1_pad', 'Conv1', 'bn_Conv1', 'Conv1_relu',
    'expanded_conv_depthwise', 'expanded_conv_depthwise_BN', 'expanded_conv_depthwise_relu',
    'expanded_conv_project', 'expanded_conv_project_BN', 'block_1_expand',
  ]);
  assert.deepEqual(names.slice(-7), ['block_16_project', 'block_16_project_BN', 'Conv_1', 'Conv_1_bn', 'out_relu', 'global_average_pooling2d', 'Logits']);
  for (const id of [1, 3, 6, 13]) assert.ok(names.includes(`block_${id}_pad`), `block_${id}_pad`);
  for (const id of [2, 4, 5, 7, 8, 9, 11, 12, 14, 15]) assert.ok(names.includes(`block_${id}_add`), `block_${id}_add`);
  assert.deepEqual(m.getLayer('out_relu').outputShape, [null, 7, 7, 1280]);
  m.dispose();
  const noTop = buildMobileNetV2({ alpha: 1.0, includeTop: false, init: 'zeros' });
  assert.equal(noTop.countParams(), 2_257_984);
  noTop.dispose();
});

const h5 = sharedData('keras_mobilenet_0.25_224_notop/mobilenet_2_5_224_tf_no_top.h5');
test('the real Keras MobileNet α0.25 .h5 loads into buildMobileNetV1 with no missing or extra layers', { skip: h5.skip }, async () => {
  const { layers } = await readKerasH5(h5.path);
  const m = buildMobileNetV1({ alpha: 0.25, includeTop: false, init: 'zeros' });
  const result = applyKerasWeights(m, layers, { source: h5.path });
  assert.equal(result.loaded.length, 2 + 13 * 4); // conv1 + conv1_bn + per block dw, dw_bn, pw, pw_bn
  assert.deepEqual(result.ignored, []);
  assert.deepEqual(result.missing, []);
  const kernel = layers.find((l) => l.layer === 'conv_pw_13')!.weights[0]!;
  assert.deepEqual(kernel.shape, [1, 1, 256, 256]);
  assert.deepEqual(Array.from(m.getLayer('conv_pw_13').getWeights()[0]!.dataSync().slice(0, 5)), Array.from(kernel.data.slice(0, 5)));
  m.dispose();
});
