import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { FttlError } from '../../../src/engine/util/errors.js';
import { applyKerasWeights, loadKerasWeights, readKerasH5, type KerasLayerWeights } from '../../../src/engine/weights/kerasH5.js';
import { writeKerasH5 } from '../../../src/engine/weights/writeKerasH5.js';
import { guessFromFileName, guessFromLayers } from '../../../src/engine/weights/detectArchitecture.js';
import { sharedData } from '../../helpers/shared.js';

const real = sharedData('keras_mobilenet_0.25_224_notop/mobilenet_2_5_224_tf_no_top.h5');

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-weights-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function isWeightsError(err: unknown, pattern?: RegExp): boolean {
  assert.ok(err instanceof FttlError, `expected FttlError, got ${String(err)}`);
  assert.equal(err.kind, 'weights');
  if (pattern) assert.match(err.message, pattern);
  return true;
}

/** The first layers of Keras's MobileNet v1 (names and shapes as in keras.applications), `filters` = 32·alpha. */
function mobilenetV1Stem(filters: number, opts: { head?: boolean; conv1Bias?: boolean } = {}): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ name: 'conv1', filters, kernelSize: 3, strides: 2, padding: 'same', useBias: opts.conv1Bias ?? false }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv1_bn', axis: -1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv1_relu', maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.depthwiseConv2d({ name: 'conv_dw_1', kernelSize: 3, padding: 'same', useBias: false }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv_dw_1_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv_dw_1_relu', maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'conv_pw_1', filters: filters * 2, kernelSize: 1, useBias: false }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'conv_pw_1_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'conv_pw_1_relu', maxValue: 6 }).apply(x) as tf.SymbolicTensor;
  if (opts.head) {
    x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ name: 'my_head', units: 2 }).apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x });
}

/** A miniature VGG with Keras's VGG-16 layer names, weights set to known values. */
function miniVgg(seed = 0): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'input_1' });
  let x = tf.layers.conv2d({ name: 'block1_conv1', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'block1_conv2', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'block1_pool', poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'block2_conv1', filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ name: 'block2_pool', poolSize: 2, strides: 2 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'fc1', units: 5, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ name: 'predictions', units: 3, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: x });
  if (seed !== 0) {
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      layer.setWeights(layer.weights.map((w, i) => {
        const n = w.shape.reduce<number>((a, d) => a * (d ?? 1), 1);
        const values = Float32Array.from({ length: n }, (_, k) => Math.sin(seed * 1000 + i * 100 + k) / 4);
        return tf.tensor(values, w.shape as number[]);
      }));
    }
  }
  return model;
}

function weightsOf(model: tf.LayersModel): Record<string, number[][]> {
  const out: Record<string, number[][]> = {};
  for (const layer of model.layers) {
    if (layer.weights.length > 0) out[layer.name] = layer.getWeights().map((t) => Array.from(t.dataSync()));
  }
  return out;
}

test('reads the real Keras MobileNet v1 0.25 no-top file', { skip: real.skip }, async () => {
  const file = await readKerasH5(real.path);
  assert.equal(file.kerasVersion, '2.0.4');
  assert.equal(file.backend, 'tensorflow');
  assert.equal(file.layers.length, 83);
  assert.equal(file.layers[0]!.layer, 'input_1');
  assert.deepEqual(file.layers[0]!.weights, []);
  const byName = new Map(file.layers.map((l) => [l.layer, l]));
  assert.deepEqual(byName.get('conv1')!.weights.map((w) => [w.name, w.shape]), [['conv1/kernel:0', [3, 3, 3, 8]]]);
  assert.deepEqual(byName.get('conv_dw_1')!.weights.map((w) => [w.name, w.shape]), [['conv_dw_1/depthwise_kernel:0', [3, 3, 8, 1]]]);
  assert.deepEqual(
    byName.get('conv1_bn')!.weights.map((w) => w.name),
    ['conv1_bn/gamma:0', 'conv1_bn/beta:0', 'conv1_bn/moving_mean:0', 'conv1_bn/moving_variance:0'],
  );
  assert.deepEqual(byName.get('conv_pw_13')!.weights[0]!.shape, [1, 1, 256, 256]);
  const withWeights = file.layers.filter((l) => l.weights.length > 0);
  assert.equal(withWeights.length, 2 + 13 * 4); // conv1 + bn, then 13 × (dw, bn, pw, bn)
  for (const l of withWeights) for (const w of l.weights) {
    assert.equal(w.data.length, w.shape.reduce((a, d) => a * d, 1));
    assert.ok(w.data.every(Number.isFinite));
  }
  const variance = byName.get('conv1_bn')!.weights[3]!.data;
  assert.ok(variance.every((v) => v > 0), 'moving variances are positive');
});

test('detects MobileNet v1 alpha 0.25 no-top from the real file name and from its layers', { skip: real.skip }, async () => {
  assert.deepEqual(guessFromFileName(basename(real.path)), {
    architecture: 'mobilenet_v1', alpha: 0.25, inputSize: 224, includeTop: false, how: 'filename',
  });
  const { layers } = await readKerasH5(real.path);
  assert.deepEqual(guessFromLayers(layers), { architecture: 'mobilenet_v1', alpha: 0.25, includeTop: false, how: 'layers' });
});

test('applies the real file to a MobileNet v1 stem by layer name; the rest is reported ignored', { skip: real.skip }, async () => {
  const model = mobilenetV1Stem(8);
  const { layers } = await readKerasH5(real.path);
  const result = applyKerasWeights(model, layers, { source: real.path });
  assert.deepEqual(result.loaded, ['conv1', 'conv1_bn', 'conv_dw_1', 'conv_dw_1_bn', 'conv_pw_1', 'conv_pw_1_bn']);
  assert.equal(result.ignored.length, 54 - 6);
  assert.ok(result.ignored.includes('conv_pw_13_bn'));
  assert.deepEqual(result.missing, []);
  const byName = new Map(layers.map((l) => [l.layer, l]));
  for (const name of result.loaded) {
    const got = model.getLayer(name).getWeights();
    byName.get(name)!.weights.forEach((w, i) => assert.deepEqual(got[i]!.dataSync(), w.data, `${name} weight ${i}`));
  }
  const out = tf.tidy(() => model.predict(tf.randomUniform([1, 32, 32, 3], 0, 1)) as tf.Tensor);
  assert.deepEqual(out.shape, [1, 16, 16, 16]);
  assert.ok(Array.from(out.dataSync()).every(Number.isFinite));
  out.dispose();
});

test('a wrong alpha fails with the layer, both shapes and the file', { skip: real.skip }, async () => {
  const model = mobilenetV1Stem(24);
  const before = weightsOf(model);
  await assert.rejects(
    loadKerasWeights(model, real.path),
    (e) => isWeightsError(e, /mobilenet_2_5_224_tf_no_top\.h5: layer "conv1": kernel has shape \[3,3,3,8\], the model expects \[3,3,3,24\] — is this the right alpha\/architecture\?/),
  );
  assert.deepEqual(weightsOf(model), before, 'a failed load leaves the model untouched');
});

test('a model layer absent from the file fails unless allowed', { skip: real.skip }, async () => {
  const { layers } = await readKerasH5(real.path);
  const model = mobilenetV1Stem(8, { head: true });
  assert.throws(() => applyKerasWeights(model, layers, { source: 'f.h5' }), (e) => isWeightsError(e, /f\.h5: 1 of the model's layers have no weights in the file: my_head/));
  const result = applyKerasWeights(model, layers, { allowMissing: ['my_head'] });
  assert.deepEqual(result.missing, ['my_head']);
  assert.equal(result.loaded.length, 6);
});

test('a bias the file lacks fails with a count mismatch', { skip: real.skip }, async () => {
  const { layers } = await readKerasH5(real.path);
  assert.throws(
    () => applyKerasWeights(mobilenetV1Stem(8, { conv1Bias: true }), layers),
    (e) => isWeightsError(e, /layer "conv1" has 1 weights in the file \(kernel\) but the model's layer has 2 \(kernel, bias\)/),
  );
});

test('writeKerasH5 writes the Keras layout and round-trips exactly', async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'mini_vgg.h5');
  const source = miniVgg(1);
  await writeKerasH5(path, source);

  // The layout Keras writes with save_weights.
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'r');
  try {
    assert.deepEqual(f.attrs['layer_names']!.value, source.layers.map((l) => l.name));
    assert.equal(f.attrs['backend']!.value, 'tensorflow');
    const g = f.get('block1_conv1') as InstanceType<typeof h5wasm.Group>;
    assert.deepEqual(g.attrs['weight_names']!.value, ['block1_conv1/kernel:0', 'block1_conv1/bias:0']);
    const ds = f.get('block1_conv1/block1_conv1/kernel:0') as InstanceType<typeof h5wasm.Dataset>;
    assert.deepEqual(ds.shape, [3, 3, 3, 4]);
    assert.equal(ds.dtype, '<f');
    assert.equal((f.get('block1_pool') as InstanceType<typeof h5wasm.Group>).attrs['weight_names']!.value!.toString(), '');
  } finally {
    f.close();
  }

  const file = await readKerasH5(path);
  assert.deepEqual(file.layers.map((l) => l.layer), source.layers.map((l) => l.name));
  assert.throws(() => guessFromLayers(file.layers), (e) => isWeightsError(e, /look like VGG but lack block2_conv2, block3_conv1/));
  const target = miniVgg(2);
  assert.notDeepEqual(weightsOf(target), weightsOf(source));
  const result = applyKerasWeights(target, file.layers, { source: path });
  assert.deepEqual(result.loaded, ['block1_conv1', 'block1_conv2', 'block2_conv1', 'fc1', 'predictions']);
  assert.deepEqual(result.ignored, []);
  assert.deepEqual(weightsOf(target), weightsOf(source));
  const x = tf.randomUniform([2, 8, 8, 3]);
  const a = source.predict(x) as tf.Tensor;
  const b = target.predict(x) as tf.Tensor;
  assert.deepEqual(b.dataSync(), a.dataSync());
  tf.dispose([x, a, b]);
});

test('the full-model layout (/model_weights) reads the same', async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'model.h5');
  const source = miniVgg(3);
  await writeKerasH5(path, source, { layout: 'model', kerasVersion: '2.13.1' });
  const file = await readKerasH5(path);
  assert.equal(file.kerasVersion, '2.13.1');
  const target = miniVgg(4);
  await loadKerasWeights(target, path);
  assert.deepEqual(weightsOf(target), weightsOf(source));
});

test('Keras attributes split into layer_names0, layer_names1, … are joined', async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'chunked.h5');
  await h5wasm.ready;
  const f = new h5wasm.File(path, 'w');
  f.create_attribute('layer_names0', ['dense_a']);
  f.create_attribute('layer_names1', ['dense_b']);
  for (const name of ['dense_a', 'dense_b']) {
    const g = f.create_group(name);
    g.create_attribute('weight_names', [`${name}/kernel:0`]);
    g.create_group(name).create_dataset({ name: 'kernel:0', data: new Float32Array([1, 2]), shape: [2, 1], dtype: '<f' });
  }
  f.close();
  const file = await readKerasH5(path);
  assert.deepEqual(file.layers.map((l) => [l.layer, l.weights[0]!.shape, Array.from(l.weights[0]!.data)]), [
    ['dense_a', [2, 1], [1, 2]],
    ['dense_b', [2, 1], [1, 2]],
  ]);
});

test('weights are paired by name when the file lists them in another order', () => {
  const input = tf.input({ shape: [3] });
  const out = tf.layers.batchNormalization({ name: 'bn' }).apply(input) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const w = (name: string, v: number) => ({ name: `bn/${name}:0`, shape: [3], data: new Float32Array([v, v, v]) });
  const layers: KerasLayerWeights[] = [{ layer: 'bn', weights: [w('moving_variance', 4), w('gamma', 1), w('moving_mean', 3), w('beta', 2)] }];
  applyKerasWeights(model, layers);
  assert.deepEqual(model.getLayer('bn').getWeights().map((t) => t.dataSync()[0]), [1, 2, 3, 4]);
});

test('missing, non-HDF5, truncated and non-Keras files fail with FttlError("weights") naming the path', async (t) => {
  const dir = await tmp(t);
  const missing = join(dir, 'nope.h5');
  await assert.rejects(readKerasH5(missing), (e) => isWeightsError(e, new RegExp(`not found: ${missing.replace(/[.\\]/g, '\\$&')}`)));

  const text = join(dir, 'page.h5');
  await writeFile(text, '<html>Not Found</html>');
  await assert.rejects(readKerasH5(text), (e) => isWeightsError(e, /page\.h5 is not an HDF5 file/));

  await assert.rejects(readKerasH5(dir), (e) => isWeightsError(e, /is a folder/));

  const other = join(dir, 'other.h5');
  await h5wasm.ready;
  const f = new h5wasm.File(other, 'w');
  f.create_dataset({ name: 'x', data: new Float32Array([1]) });
  f.close();
  await assert.rejects(readKerasH5(other), (e) => isWeightsError(e, /other\.h5 is an HDF5 file but not a Keras weights file.*top-level entries: x/));

  const good = join(dir, 'good.h5');
  await writeKerasH5(good, miniVgg(1));
  const truncated = join(dir, 'truncated.h5');
  await writeFile(truncated, (await readFile(good)).subarray(0, 3000));
  await assert.rejects(readKerasH5(truncated), (e) => isWeightsError(e, /Cannot read weights file .*truncated\.h5: truncated file/));
});
