// Where fine-tuning cuts each architecture, and what it refuses.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { featureModel, loadBackbone, type Backbone } from '../../../src/engine/backbones/backbone.js';
import { preprocess } from '../../../src/engine/backbones/preprocess.js';
import { buildFullModel, buildTrainableNetwork, finetuneConfig, FINETUNE_PRESET, planFinetune, pooledDim, randomHead } from '../../../src/engine/finetune/index.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { mobilenetV1 } from './fixtures.js';

before(async () => {
  await initBackend('wasm');
});

const rejects = (f: () => unknown, text: RegExp) =>
  assert.throws(f, (err: unknown) => err instanceof FttlError && err.kind === 'bad-input' && text.test(err.message));

test('VGG-16: the seed froze block1..block4 (layers 0–13) and trained block5_conv1..3', async () => {
  const b = await loadBackbone('vgg16_32:random');
  const plan = planFinetune(b, { blocks: 1 });
  assert.equal(plan.cutLayer, 'block4_pool');
  assert.deepEqual(plan.trainableLayers, ['block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool']);
  assert.deepEqual(plan.cutShape, [2, 2, 512]);
  assert.deepEqual([plan.featureLayer, plan.pooling], ['block5_pool', 'flatten']);
  // Keras' layer indices (input_1 is 0): the seed froze 0–13 (input_1 … block4_conv3); block4_pool (14) has
  // no weights, so the first trainable layer is block5_conv1 (15), as here.
  const names = b.model.layers.map((l) => l.name);
  assert.equal(names[13], 'block4_conv3');
  assert.equal(names[14], plan.cutLayer);
  assert.equal(names[15], plan.trainableLayers[0]);
  assert.deepEqual(planFinetune(b, { blocks: 2 }).trainableLayers.slice(0, 3), ['block4_conv1', 'block4_conv2', 'block4_conv3']);
  rejects(() => planFinetune(b, { blocks: 6 }), /has 5 blocks/);
  b.model.dispose();
});

test('MobileNet v1: the last block is conv_dw_13 / conv_pw_13 with their BatchNorms; Keras 2.2 names include conv_pad', async (t) => {
  const b = await loadBackbone('mobilenet_v1_0.25_64:random');
  const one = planFinetune(b, { blocks: 1 });
  assert.equal(one.cutLayer, 'conv_pw_12_relu');
  assert.deepEqual(one.trainableLayers, ['conv_dw_13', 'conv_dw_13_bn', 'conv_dw_13_relu', 'conv_pw_13', 'conv_pw_13_bn', 'conv_pw_13_relu']);
  const two = planFinetune(b, { blocks: 2 });
  assert.equal(two.cutLayer, 'conv_pw_11_relu');
  assert.equal(two.trainableLayers[0], 'conv_pad_12');
  b.model.dispose();
  if (mobilenetV1.skip) return t.skip(mobilenetV1.skip);
  const real = await loadBackbone(mobilenetV1.path);
  const p = planFinetune(real, { blocks: 1 });
  assert.equal(p.cutLayer, 'conv_pw_12_relu');
  assert.deepEqual(p.cutShape, [7, 7, 768]);
  assert.equal(pooledDim(real, p), 768);
  assert.equal(planFinetune(real, { blocks: 2 }).trainableLayers[0], 'conv_dw_12'); // Keras 2.1: 'same' padding, no conv_pad
  real.model.dispose();
});

test('MobileNetV2: block_16 + Conv_1 by default; a cut inside a residual block is refused, naming the skip', async () => {
  const b = await loadBackbone('mobilenet_v2_0.35_64:random');
  const one = planFinetune(b, { blocks: 1 });
  assert.equal(one.cutLayer, 'block_15_add');
  assert.equal(one.trainableLayers[0], 'block_16_expand');
  assert.deepEqual(one.trainableLayers.slice(-3), ['Conv_1', 'Conv_1_bn', 'out_relu']);
  const two = planFinetune(b, { blocks: 2 });
  assert.equal(two.cutLayer, 'block_14_add');
  assert.ok(two.trainableLayers.includes('block_15_add'), 'the residual add reads the cut tensor: allowed');
  rejects(() => planFinetune(b, { blocks: 1, fromLayer: 'block_15_depthwise' }), /"block_15_add" also reads "block_14_add".*skip connection/);
  rejects(() => planFinetune(b, { blocks: 1, fromLayer: 'nope' }), /has no layer "nope"/);
  rejects(() => planFinetune(b, { blocks: 1, layer: 'block_5_add', pooling: 'avg' }), /does not depend on "block_16_expand"/);
  b.model.dispose();
});

async function splitEqualsWhole(b: Backbone, blocks: number): Promise<void> {
  const plan = planFinetune(b, { blocks });
  const head = randomHead('mlp1', pooledDim(b, plan), 5, 3);
  const net = await buildTrainableNetwork(b, plan, head.model);
  const full = await buildFullModel(b, net);
  const x = tf.tidy(() => preprocess(b.preprocess, tf.randomUniform([2, b.inputSize, b.inputSize, 3], 0, 255, 'float32', 4) as tf.Tensor4D));
  const prefix = featureModel(b, plan.cutLayer, 'none');
  const viaSplit = tf.tidy(() => (net.model.predict(prefix.predict(x) as tf.Tensor) as tf.Tensor).dataSync());
  const viaWhole = tf.tidy(() => (full.predict(x) as tf.Tensor).dataSync());
  assert.deepEqual(Array.from(viaWhole), Array.from(viaSplit), `${b.name}, ${blocks} block(s)`);
  // The head's weights were copied in unchanged.
  for (const layer of head.model.layers) {
    const copied = net.model.getLayer(`head_${layer.name}`).getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(copied, layer.getWeights().map((w) => Array.from(w.dataSync())));
  }
  x.dispose();
  head.model.dispose();
  net.model.dispose();
  full.dispose();
}

test('the trainable network after the cached prefix equals the whole fine-tuned model', async () => {
  for (const [name, blocks] of [['vgg16_32:random', 1], ['mobilenet_v1_0.25_64:random', 2], ['mobilenet_v2_0.35_64:random', 2]] as const) {
    const b = await loadBackbone(name);
    await splitEqualsWhole(b, blocks);
    b.model.dispose();
  }
});

test('config: the seed preset, overrides checked', () => {
  assert.deepEqual(
    { opt: FINETUNE_PRESET.optimizer, lr: FINETUNE_PRESET.learningRate, m: FINETUNE_PRESET.momentum, e: FINETUNE_PRESET.epochs, bs: FINETUNE_PRESET.batchSize },
    { opt: 'sgd', lr: 1e-4, m: 0.9, e: 20, bs: 32 },
  );
  assert.equal(finetuneConfig({ epochs: 3 }).epochs, 3);
  assert.equal(finetuneConfig({ augment: { rotate: 'rot90' } as never }).augment?.flip, true, 'augment fields default');
  assert.throws(() => finetuneConfig({ learningRate: -1 }), /learningRate/);
  assert.throws(() => finetuneConfig({ momentum: 1 }), /momentum/);
  assert.throws(() => finetuneConfig({ blocks: 0 }), /blocks/);
  assert.throws(() => finetuneConfig({ bogus: 1 } as never), /unknown field "bogus"/);
});
