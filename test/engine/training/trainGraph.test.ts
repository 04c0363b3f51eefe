// The ONNX training graphs compute what tfjs computes: the loss, every trainable weight's gradient
// (tf.variableGrads on the cpu backend as the reference), BatchNorm's updated moving statistics,
// and inference-mode probabilities. Small models cover every layer rule the builder has.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadOrt } from '../../../src/engine/inference/onnx/ort.js';
import { UnsupportedModelError } from '../../../src/engine/inference/onnx/exportOnnx.js';
import { buildTrainGraphs, gradOutput, paramInput, stateOutput, TRAIN_INPUTS, TRAIN_OUTPUTS } from '../../../src/engine/training/onnx/trainGraph.js';
import { PROB_EPSILON } from '../../../src/engine/heads/metrics.js';
import { compare, randomiseWeights } from '../inference/helpers.js';
import { mobilenetLike, stridesAndSkips, vggLike } from './models.js';

await tf.setBackend('cpu');
const ort = await loadOrt();

type T = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: T | T[]) => l.apply(x) as T;

/** The reference: tfjs's training-mode forward with the given dropout masks, FTTL's loss, tf.variableGrads. */
function tfjsStep(model: tf.LayersModel, x: tf.Tensor, onehot: tf.Tensor, sw: tf.Tensor, masks: tf.Tensor[], bnTraining: boolean) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let probs!: tf.Tensor;
  const { value, grads } = tf.variableGrads(() => {
    const values = new Map<string, tf.Tensor>([[model.inputs[0]!.sourceLayer.name, x]]);
    let m = 0;
    for (const layer of model.layers.slice(1)) {
      const ins = (layer as unknown as { inboundNodes: { inputTensors: T[] }[] }).inboundNodes[0]!.inputTensors.map((t) => values.get(t.sourceLayer.name)!);
      const cls = layer.getClassName();
      const out = cls === 'Dropout' ? tf.mul(ins[0]!, masks[m++]!) : (layer.apply(ins.length === 1 ? ins[0]! : ins, { training: cls === 'BatchNormalization' ? bnTraining : true }) as tf.Tensor);
      values.set(layer.name, out);
    }
    probs = tf.keep(values.get(model.layers.at(-1)!.name)!);
    const ce = tf.neg(tf.sum(tf.mul(onehot, tf.log(tf.clipByValue(probs, PROB_EPSILON, 1 - PROB_EPSILON))), 1));
    return tf.sum(tf.mul(ce, sw)) as tf.Scalar;
  }, vars);
  return { loss: value.dataSync()[0]!, probs: probs.dataSync() as Float32Array, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
}

async function checkModel(model: tf.LayersModel, bnTraining: boolean, tolerance: number) {
  randomiseWeights(model, 11);
  const n = 6;
  const inShape = model.inputs[0]!.shape.slice(1) as number[];
  const K = model.outputs[0]!.shape[1]!;
  const x = tf.randomNormal([n, ...inShape], 0, 1, 'float32', 3);
  const labels = Int32Array.from({ length: n }, (_, i) => i % K);
  const onehot = tf.oneHot(tf.tensor1d(labels, 'int32'), K).toFloat();
  const swData = Float32Array.from({ length: n }, (_, i) => (0.5 + (i % 3) * 0.25) / n);
  const sw = tf.tensor1d(swData);

  const graphs = buildTrainGraphs(model, { bnTraining: () => bnTraining });
  const masks = graphs.dropout.map((d, k) => tf.tidy(() => tf.mul(tf.cast(tf.greater(tf.randomUniform([n, ...d.shape], 0, 1, 'float32', 20 + k), d.rate), 'float32'), 1 / (1 - d.rate))));
  const before = model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    [TRAIN_INPUTS.x]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), [n, ...inShape]),
    [TRAIN_INPUTS.onehot]: new ort.Tensor('float32', Float32Array.from(onehot.dataSync()), [n, K]),
    [TRAIN_INPUTS.sampleWeight]: new ort.Tensor('float32', swData, [n]),
  };
  graphs.dropout.forEach((d, k) => (feeds[d.input] = new ort.Tensor('float32', Float32Array.from(masks[k]!.dataSync()), [n, ...d.shape])));
  graphs.params.forEach((p) => (feeds[paramInput(p.index)] = new ort.Tensor('float32', before[p.index]!, p.shape)));

  const session = await ort.InferenceSession.create(graphs.train);
  const out = await session.run(feeds);
  // The reference runs after: in training mode tfjs updates the BatchNorm statistics in place.
  const ref = tfjsStep(model, x, onehot, sw, masks, bnTraining);
  const worst = { grad: 0, scale: 0 };
  assert.ok(Math.abs((out[TRAIN_OUTPUTS.loss]!.data as Float32Array)[0]! - ref.loss) < 1e-5, `loss ${(out[TRAIN_OUTPUTS.loss]!.data as Float32Array)[0]} vs ${ref.loss}`);
  assert.ok(compare(out[TRAIN_OUTPUTS.probs]!.data as Float32Array, ref.probs).maxAbsDiff < 1e-5, 'probs');
  const trainable = model.trainableWeights.map((w) => model.weights.findIndex((v) => v.id === w.id));
  assert.deepEqual([...graphs.gradients].sort((a, b) => a - b), [...trainable].sort((a, b) => a - b), 'a gradient for every trainable weight');
  const bad: string[] = [];
  trainable.forEach((index, k) => {
    const c = compare(out[gradOutput(index)]!.data as Float32Array, ref.grads[k]!);
    assert.ok(c.maxAbs > 0, `${model.weights[index]!.name}: non-zero gradient`);
    worst.grad = Math.max(worst.grad, c.maxAbsDiff / c.maxAbs);
    if (c.maxAbsDiff > tolerance * c.maxAbs) bad.push(`${model.weights[index]!.name}: max |onnx − tfjs| ${c.maxAbsDiff} (max |tfjs| ${c.maxAbs})`);
  });
  assert.deepEqual(bad, []);
  // Moving statistics: updated by the graph exactly as tfjs's BatchNorm updated them.
  assert.equal(graphs.states.length, bnTraining ? model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length * 2 : 0);
  for (const index of graphs.states) {
    const c = compare(out[stateOutput(index)]!.data as Float32Array, model.weights[index]!.read().dataSync() as Float32Array);
    assert.ok(c.maxAbsDiff < 1e-5, `${model.weights[index]!.name}: ${c.maxAbsDiff}`);
  }
  // Inference: the predict graph equals model.predict (moving statistics, no dropout).
  const predict = await ort.InferenceSession.create(graphs.predict);
  const pf: Record<string, InstanceType<typeof ort.Tensor>> = { [TRAIN_INPUTS.x]: feeds[TRAIN_INPUTS.x]! };
  model.weights.forEach((w, i) => (pf[paramInput(i)] = new ort.Tensor('float32', Float32Array.from(w.read().dataSync() as Float32Array), w.shape as number[])));
  const probs = (await predict.run(pf))[TRAIN_OUTPUTS.probs]!.data as Float32Array;
  const expected = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync() as Float32Array);
  assert.ok(compare(probs, expected).maxAbsDiff < 1e-5, 'inference probabilities');
  await session.release();
  await predict.release();
  tf.dispose([x, onehot, sw, ...masks]);
  model.dispose();
  return worst;
}

test('VGG-like block + MLP-1 head (conv, ReLU, max pool, flatten, dense, BatchNorm, dropout): gradients equal tfjs', async () => {
  const w = await checkModel(vggLike(), true, 1e-4);
  if (process.env.FTTL_TEST_VERBOSE) console.log('vgg-like worst relative gradient error', w.grad);
});

test('MobileNet-like block (depthwise, BatchNorm on batch statistics, ReLU6, average pool): gradients equal tfjs', async () => {
  await checkModel(mobilenetLike(), true, 1e-4);
});

test('BatchNorm frozen (moving statistics, gamma and beta still learn): gradients equal tfjs, no state outputs', async () => {
  await checkModel(mobilenetLike(), false, 1e-4);
});

test('strides, asymmetric SAME pads, zero padding, residual add, tanh and sigmoid: gradients equal tfjs', async () => {
  await checkModel(stridesAndSkips(), true, 1e-4);
});

test('frozen layers get no gradient and no input gradient is computed for the graph input', async () => {
  const model = vggLike();
  model.getLayer('c1').trainable = false;
  const graphs = buildTrainGraphs(model, { bnTraining: () => true });
  const c1 = model.getLayer('c1').weights.map((w) => model.weights.findIndex((v) => v.id === w.id));
  assert.ok(c1.every((i) => !graphs.gradients.includes(i)));
  assert.equal(graphs.gradients.length, model.trainableWeights.length);
  model.dispose();
});

test('a layer without a training rule is refused by name', () => {
  const input = tf.input({ shape: [4] });
  const y = ap(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), ap(tf.layers.leakyReLU({ name: 'leaky_one' }), input));
  const model = tf.model({ inputs: input, outputs: y });
  assert.throws(() => buildTrainGraphs(model, { bnTraining: () => true }), (err: unknown) => err instanceof UnsupportedModelError && /leaky_one/.test((err as Error).message));
  model.dispose();
});
