import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BUILT_IN_BACKBONES, featureModel, loadBackbone, parseBuiltInName, type Backbone } from '../../../src/engine/backbones/backbone.js';
import { buildMobileNetV1 } from '../../../src/engine/backbones/mobilenetV1.js';
import { fileSystemModelHandler } from '../../../src/engine/backbones/fsModelIO.js';
import { preprocess } from '../../../src/engine/backbones/preprocess.js';
import { writeKerasH5 } from '../../../src/engine/weights/writeKerasH5.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { sharedData } from '../../helpers/shared.js';
import { maxAbsDiff, useWasm } from './wasmBackend.js';

await useWasm();

// These loads must never touch the network: any fetch fails the test.
const realFetch = globalThis.fetch;
before(() => {
  globalThis.fetch = (async (url: unknown) => {
    throw new Error(`unexpected network access: ${String(url)}`);
  }) as typeof fetch;
});
after(() => {
  globalThis.fetch = realFetch;
});

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'fttl-backbones-'));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const gray = (b: Backbone, n = 1) => tf.fill([n, b.inputSize, b.inputSize, 3], 128) as tf.Tensor4D;

/** Asserts `p` rejects with an FttlError of `kind` whose message contains `text`. */
async function rejectsWith(p: Promise<unknown>, kind: string, text: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof FttlError, `not an FttlError: ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.ok(err.message.includes(text), `"${err.message}" lacks "${text}"`);
    return true;
  });
}

test('default: the embedded nsfwjs MobileNetV2 loads offline and gives 1280-d features', async () => {
  const b = await loadBackbone('default');
  assert.match(b.id, /^mobilenet_v2_1\.0_224@[0-9a-f]{12}$/);
  assert.equal(b.architecture, 'mobilenet_v2');
  assert.equal(b.alpha, 1.0);
  assert.equal(b.inputSize, 224);
  assert.equal(b.preprocess, 'unit');
  assert.deepEqual(b.defaultFeature, { layer: 'out_relu', pooling: 'avg' });
  assert.deepEqual(b.classNames, ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
  assert.ok(b.featureLayers.includes('out_relu') && b.featureLayers.includes('dense_2'));
  const fm = featureModel(b);
  assert.deepEqual(fm.outputs[0]!.shape, [null, 1280]);
  const v = (fm.predict(preprocess(b.preprocess, gray(b))) as tf.Tensor).dataSync();
  assert.equal(v.length, 1280);
  assert.ok(v.every((x) => x >= 0 && x <= 6), 'ReLU6 averages lie in [0, 6]');
  assert.ok(v.some((x) => x > 0));
  const again = await loadBackbone('embedded');
  assert.equal(again.id, b.id, 'same weights, same id');
  b.model.dispose();
  again.model.dispose();
});

const v1 = sharedData('mobilenet_v1_0.75_224_imagenet');
test('TF.js folder: MobileNet v1 α0.75 is recognised, with its ImageNet class names', { skip: v1.skip }, async () => {
  const b = await loadBackbone(v1.path);
  assert.match(b.id, /^mobilenet_v1_0\.75_224@[0-9a-f]{12}$/);
  assert.equal(b.architecture, 'mobilenet_v1');
  assert.equal(b.preprocess, 'tf');
  assert.deepEqual(b.defaultFeature, { layer: 'conv_pw_13_relu', pooling: 'avg' });
  assert.equal(b.classNames?.length, 1000);
  assert.equal(b.classNames?.[388], 'giant panda, panda, panda bear, coon bear, Ailuropoda melanoleuca');
  assert.deepEqual(featureModel(b).outputs[0]!.shape, [null, 768]);
  assert.deepEqual(featureModel(b, 'conv_pw_13_relu', 'none').outputs[0]!.shape, [null, 7, 7, 768]);
  assert.deepEqual(featureModel(b, 'conv_pw_13_relu', 'flatten').outputs[0]!.shape, [null, 7 * 7 * 768]);
  assert.deepEqual(featureModel(b, 'conv_pw_11_relu').outputs[0]!.shape, [null, 14, 14, 384]);
  // The model.json path gives the same backbone.
  const again = await loadBackbone(join(v1.path, 'model.json'));
  assert.equal(again.id, b.id);
  assert.throws(() => featureModel(b, 'no_such_layer'), (e: unknown) => e instanceof FttlError && e.kind === 'bad-input' && e.message.includes('conv_pw_13_relu'));
  b.model.dispose();
  again.model.dispose();
});

const tm = sharedData('teachable_machine_mobilenet_v2_0.35_224');
test('Teachable Machine export: the inner MobileNetV2 α0.35 becomes the backbone, the head is dropped', { skip: tm.skip }, async () => {
  const b = await loadBackbone(join(tm.path, 'model.json'));
  assert.equal(b.architecture, 'mobilenet_v2');
  assert.equal(b.alpha, 0.35);
  assert.equal(b.classNames, undefined, "the dropped head's labels are not the backbone's");
  assert.deepEqual(b.model.outputs[0]!.shape, [null, 7, 7, 1280]);
  const full = await tf.loadLayersModel(fileSystemModelHandler(join(tm.path, 'model.json')));
  const x = tf.randomUniform([1, 224, 224, 3], -1, 1, 'float32', 5);
  const diff = maxAbsDiff(featureModel(b).predict(x) as tf.Tensor, (full.layers[0] as tf.LayersModel).predict(x) as tf.Tensor);
  assert.ok(diff < 1e-5, `max |diff| ${diff}`);
  b.model.dispose();
  full.dispose();
});

const h5 = sharedData('keras_mobilenet_0.25_224_notop/mobilenet_2_5_224_tf_no_top.h5');
test('Keras .h5 file and built-in name (from a pre-filled cache) give the same MobileNet v1 α0.25', { skip: h5.skip }, async () => {
  const fromFile = await loadBackbone(h5.path);
  assert.match(fromFile.id, /^mobilenet_v1_0\.25_224@[0-9a-f]{12}$/);
  assert.equal(fromFile.preprocess, 'tf');
  assert.deepEqual(featureModel(fromFile).outputs[0]!.shape, [null, 256]);
  // A cache holding (a link to) Keras's file: no download.
  const cacheDir = join(tmp, 'cache');
  await mkdir(cacheDir, { recursive: true });
  await symlink(h5.path, join(cacheDir, 'mobilenet_2_5_224_tf_no_top.h5'));
  const builtIn = await loadBackbone('mobilenet_v1_0.25', { cacheDir });
  assert.equal(builtIn.id, fromFile.id);
  assert.match(builtIn.name, /MobileNet v1 α0\.25 \(ImageNet, Keras\)/);
  fromFile.model.dispose();
  builtIn.model.dispose();
});

test('VGG-16: random weights written with writeKerasH5 round-trip through loadBackbone unchanged', async () => {
  const random = await loadBackbone('vgg16_32:random', { seed: 9 });
  assert.equal(random.preprocess, 'caffe');
  assert.deepEqual(random.defaultFeature, { layer: 'block5_pool', pooling: 'flatten' });
  assert.deepEqual(featureModel(random).outputs[0]!.shape, [null, 512]);
  const path = join(tmp, 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  await writeKerasH5(path, random.model);
  const loaded = await loadBackbone(path);
  assert.equal(loaded.architecture, 'vgg16');
  assert.equal(loaded.inputSize, 224); // no-top weights: built at Keras's default size
  assert.equal(loaded.id.split('@')[1], random.id.split('@')[1], 'identical weights, identical fingerprint');
  for (const layer of random.model.layers) {
    const a = layer.getWeights();
    const b = loaded.model.getLayer(layer.name).getWeights();
    assert.equal(a.length, b.length);
    a.forEach((t, i) => assert.deepEqual(b[i]!.dataSync(), t.dataSync(), `${layer.name} weight ${i}`));
  }
  assert.deepEqual(loaded.model.getLayer('block5_pool').outputShape, [null, 7, 7, 512]);
  assert.deepEqual(featureModel(loaded).outputs[0]!.shape, [null, 25088]); // the seed study's feature
  random.model.dispose();
  loaded.model.dispose();
});

test('ids follow the weights: same seed same id, other seed other id', async () => {
  const load = (seed: number) => loadBackbone('mobilenet_v2_0.35_96:random', { seed });
  const [a, b, c] = [await load(1), await load(1), await load(2)];
  assert.match(a.id, /^mobilenet_v2_0\.35_96@[0-9a-f]{12}$/);
  assert.equal(a.id, b.id);
  assert.notEqual(a.id, c.id);
  assert.equal(a.inputSize, 96);
  const f = featureModel(a).predict(tf.randomUniform([2, 96, 96, 3], -1, 1)) as tf.Tensor;
  assert.deepEqual(f.shape, [2, 1280]);
  for (const x of [a, b, c]) x.model.dispose();
});

/** Saves a small model as model.json + shard into `dir` (manifest path `shardName`). */
async function saveTinyModel(dir: string, shardName: string, fileName = shardName): Promise<void> {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'f' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 6, activation: 'relu', name: 'd1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  await mkdir(dir, { recursive: true });
  await model.save({
    save: async (a) => {
      const data = Buffer.from(a.weightData as ArrayBuffer);
      await writeFile(join(dir, fileName), data);
      const json = { modelTopology: a.modelTopology, format: 'layers-model', weightsManifest: [{ paths: [shardName], weights: a.weightSpecs }] };
      await writeFile(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  });
  await writeFile(join(dir, 'metadata.json'), JSON.stringify({ labels: ['a', 'b', 'c'] }));
  model.dispose();
}

test('a custom TF.js model: generic feature layers, tf preprocessing, shard found with or without .bin', async () => {
  const dir = join(tmp, 'custom');
  await saveTinyModel(dir, 'group1-shard1of1', 'group1-shard1of1.bin'); // manifest without .bin, file with
  const b = await loadBackbone(dir);
  assert.equal(b.architecture, 'custom');
  assert.equal(b.preprocess, 'tf');
  assert.match(b.id, /^custom_32@[0-9a-f]{12}$/);
  assert.deepEqual(b.defaultFeature, { layer: 'c2', pooling: 'avg' });
  assert.deepEqual(b.featureLayers, ['c1', 'c2', 'd1']);
  assert.deepEqual(b.classNames, ['a', 'b', 'c']);
  assert.deepEqual(featureModel(b).outputs[0]!.shape, [null, 8]);
  assert.deepEqual(featureModel(b, 'd1').outputs[0]!.shape, [null, 6]);
  b.model.dispose();
});

test('clear errors naming the path: missing folder, no model.json, bad JSON, missing or short shard, wrong weights', async () => {
  await rejectsWith(loadBackbone(join(tmp, 'nowhere')), 'bad-input', join(tmp, 'nowhere'));
  await mkdir(join(tmp, 'empty'));
  await rejectsWith(loadBackbone(join(tmp, 'empty')), 'bad-input', 'no model.json');
  await mkdir(join(tmp, 'badjson'));
  await writeFile(join(tmp, 'badjson', 'model.json'), '{ "modelTopology": ');
  await rejectsWith(loadBackbone(join(tmp, 'badjson')), 'weights', join(tmp, 'badjson', 'model.json'));
  await writeFile(join(tmp, 'badjson', 'model.json'), '{ "hello": 1 }');
  await rejectsWith(loadBackbone(join(tmp, 'badjson')), 'weights', 'modelTopology');

  const noShard = join(tmp, 'noshard');
  await saveTinyModel(noShard, 'weights.bin');
  await unlink(join(noShard, 'weights.bin'));
  await rejectsWith(loadBackbone(noShard), 'weights', join(noShard, 'weights.bin'));
  const short = join(tmp, 'short');
  await saveTinyModel(short, 'weights.bin');
  await truncate(join(short, 'weights.bin'), 100);
  await rejectsWith(loadBackbone(short), 'weights', 'truncated');

  // An α0.5 network saved under Keras's α0.25 file name: shapes do not fit.
  const wrong = join(tmp, 'mobilenet_2_5_224_tf_no_top.h5');
  const m = buildMobileNetV1({ alpha: 0.5, includeTop: false, inputSize: 32, init: 'zeros' });
  await writeKerasH5(wrong, m);
  m.dispose();
  await rejectsWith(loadBackbone(wrong), 'weights', 'shape');
  await rejectsWith(loadBackbone(join(tmp, 'missing.h5')), 'weights', join(tmp, 'missing.h5'));
  await rejectsWith(loadBackbone('mobilenet_v1_0.3'), 'bad-input', 'alpha');
  await rejectsWith(loadBackbone('vgg16_0.5'), 'bad-input', 'VGG-16');
});

test('built-in names parse; every listed built-in is loadable by name', () => {
  assert.deepEqual(parseBuiltInName('vgg16'), { architecture: 'vgg16', inputSize: 224, random: false, includeTop: false });
  assert.deepEqual(parseBuiltInName('mobilenet_v1_0.75'), { architecture: 'mobilenet_v1', alpha: 0.75, inputSize: 224, random: false, includeTop: false });
  assert.deepEqual(parseBuiltInName('mobilenet_v2_1.0_160:random:top'), { architecture: 'mobilenet_v2', alpha: 1, inputSize: 160, random: true, includeTop: true });
  assert.deepEqual(parseBuiltInName('mobilenet_v2'), { architecture: 'mobilenet_v2', alpha: 1, inputSize: 224, random: false, includeTop: false });
  assert.deepEqual(parseBuiltInName('vgg16_64:random'), { architecture: 'vgg16', inputSize: 64, random: true, includeTop: false });
  assert.equal(parseBuiltInName('./models/vgg16'), null);
  assert.equal(parseBuiltInName('C:\\models\\mobilenet'), null);
  for (const { name } of BUILT_IN_BACKBONES) {
    assert.ok(name === 'default' || parseBuiltInName(name) !== null, name);
  }
});
