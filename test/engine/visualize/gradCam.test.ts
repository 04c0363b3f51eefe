import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradCam, lastConvLayer } from '../../../src/engine/visualize/gradCam.js';
import { resizeBilinear } from '../../../src/engine/visualize/raster.js';

/** Zeroes everything outside the top-left quadrant of a feature map: the model only looks there. */
class QuadrantMask extends tf.layers.Layer {
  static readonly className = 'QuadrantMask';
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return shape;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.tidy(() => {
      const [, h, w, c] = x.shape as number[];
      const m = tf.buffer([1, h!, w!, c!]);
      for (let y = 0; y < h! / 2; y++) for (let i = 0; i < w! / 2; i++) for (let k = 0; k < c!; k++) m.set(1, 0, y, i, k);
      return tf.mul(x, m.toTensor());
    });
  }
}

const SIZE = 16; // image; the stride-2 conv gives 8×8 maps
const MAP = 8;
const K = 4; // conv channels
const CLASSES = 3;

/** image → conv (stride 2, relu) → mask (top-left quadrant) → global average pool → dense softmax. */
function regionModel() {
  const input = tf.input({ shape: [SIZE, SIZE, 3], name: 'image' });
  const conv = tf.layers.conv2d({ filters: K, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }), biasInitializer: 'ones' });
  const masked = new QuadrantMask({ name: 'mask' }).apply(conv.apply(input)) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(masked) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: CLASSES, activation: 'softmax', name: 'probs', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) });
  const model = tf.model({ inputs: input, outputs: dense.apply(pooled) as tf.SymbolicTensor, name: 'region' });
  const features = tf.model({ inputs: input, outputs: masked });
  return { model, features, dense, pooled, input };
}

/** An image whose 8×8 pattern repeats in all four quadrants (the region, not the content, is what differs). */
function tiledImage(): tf.Tensor3D {
  const v = new Float32Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++)
      for (let c = 0; c < 3; c++) v[(y * SIZE + x) * 3 + c] = Math.sin((y % 8) * 1.3 + (x % 8) * 0.7 + c) * 2;
  return tf.tensor3d(v, [SIZE, SIZE, 3]);
}

/** CAM by hand for conv → (linear, spatially uniform) GAP → dense: α_k = W[k][c] / (h·w), map = ReLU(Σ α_k A_k). */
function handCam(A: Float32Array, W: number[][], c: number): Float32Array {
  const cam = new Float32Array(MAP * MAP);
  for (let p = 0; p < MAP * MAP; p++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (W[k]![c]! / (MAP * MAP)) * A[p * K + k]!;
    cam[p] = Math.max(0, s);
  }
  return cam;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('Grad-CAM of a model that only looks at the top-left quadrant highlights that quadrant, and equals the hand-computed CAM', async () => {
  const { model, features, dense } = regionModel();
  const image = tiledImage();
  assert.equal(lastConvLayer(model), 'mask', 'the conv layer after its same-resolution successors');
  const A = (features.predict(image.expandDims(0)) as tf.Tensor);
  const acts = (await A.data()) as Float32Array;
  const W = (await dense.getWeights()[0]!.array()) as number[][];
  const b = (await dense.getWeights()[1]!.data()) as Float32Array;
  const probsT = model.predict(image.expandDims(0)) as tf.Tensor;
  const probs = Array.from(await probsT.data());
  tf.dispose([A, probsT]);
  const before = tf.memory().numTensors;

  let anyHeat = false;
  for (let c = 0; c < CLASSES; c++) {
    const r = await gradCam(model, undefined, image, c);
    assert.equal(tf.memory().numTensors, before, `class ${c}: no tensor left behind`);
    assert.deepEqual([r.layer, r.classIndex, r.height, r.width, r.imageHeight, r.imageWidth], ['mask', c, MAP, MAP, SIZE, SIZE]);
    assertClose(r.probabilities, probs, 1e-6, 'probabilities');
    // The pre-softmax score: z_c = Σ_k W[k][c]·mean(A_k) + b_c.
    let z = b[c]!;
    for (let k = 0; k < K; k++) {
      let m = 0;
      for (let p = 0; p < MAP * MAP; p++) m += acts[p * K + k]!;
      z += (W[k]![c]! * m) / (MAP * MAP);
    }
    assert.equal(r.score.kind, 'logit');
    assert.ok(Math.abs(r.score.value - z) < 1e-5, `score ${r.score.value} vs ${z}`);
    const cam = handCam(acts, W, c);
    const max = Math.max(...cam);
    assert.ok(Math.abs(r.rawMax - max) < 1e-6, 'rawMax');
    assertClose(r.heatmap, max > 0 ? cam.map((v) => v / max) : cam, 1e-5, `heatmap of class ${c}`);
    for (let y = 0; y < MAP; y++)
      for (let x = 0; x < MAP; x++) if (y >= MAP / 2 || x >= MAP / 2) assert.equal(r.heatmap[y * MAP + x], 0, `outside the quadrant (${y}, ${x})`);
    if (max > 0) {
      anyHeat = true;
      assert.equal(Math.max(...r.heatmap), 1);
      // Upsampled to the image: the heat stays in the top-left quadrant (plus the half-pixel blend at its edge).
      assertClose(r.upsampled, resizeBilinear(r.heatmap, MAP, MAP, SIZE, SIZE), 1e-7, 'upsampled');
      let inside = 0;
      let outside = 0;
      for (let y = 0; y < SIZE; y++) for (let x = 0; x < SIZE; x++) (y < SIZE / 2 + 1 && x < SIZE / 2 + 1 ? (inside += r.upsampled[y * SIZE + x]!) : (outside += r.upsampled[y * SIZE + x]!));
      assert.ok(outside === 0 && inside > 0, `upsampled heat outside the quadrant: ${outside}`);
      assert.deepEqual([r.overlay.width, r.overlay.height, r.overlay.channels, r.overlay.data.length], [SIZE, SIZE, 4, SIZE * SIZE * 4]);
    }
  }
  assert.ok(anyHeat, 'at least one class has evidence');

  const predicted = probs.indexOf(Math.max(...probs));
  const byDefault = await gradCam(model, undefined, image);
  assert.equal(byDefault.classIndex, predicted);
  assert.equal(byDefault.predictedIndex, predicted);
  // 'output' differentiates the probability itself.
  const out = await gradCam(model, 'mask', image, 1, { score: 'output' });
  assert.equal(out.score.kind, 'output');
  assert.ok(Math.abs(out.score.value - probs[1]!) < 1e-6);
  // At the conv layer itself (before the mask) it runs too.
  const atConv = await gradCam(model, 'conv', image, predicted);
  assert.deepEqual([atConv.height, atConv.width], [MAP, MAP]);
  assert.equal(tf.memory().numTensors, before);

  await assert.rejects(gradCam(model, 'probs', image), /Grad-CAM needs a conv layer/);
  await assert.rejects(gradCam(model, 'mask', image, 3), /not one of the model's 3 classes/);
  await assert.rejects(gradCam(model, 'nope', image), /no layer "nope"/);
  assert.equal(tf.memory().numTensors, before, 'errors leave nothing behind either');
  image.dispose();
});

test('Grad-CAM through a nested head (a run: features model → head Sequential) steps over its softmax', async () => {
  const { features, dense } = regionModel();
  const pool = tf.model({ inputs: features.inputs, outputs: tf.layers.globalAveragePooling2d({ name: 'gap2' }).apply(features.outputs[0]!) as tf.SymbolicTensor });
  const head = tf.sequential({ layers: [tf.layers.dense({ inputShape: [K], units: CLASSES, activation: 'softmax', name: 'head_probs' })] });
  head.layers[0]!.setWeights(dense.getWeights());
  const composed = tf.model({ inputs: pool.inputs, outputs: head.apply(pool.outputs[0]!) as tf.SymbolicTensor });
  const flat = regionModel();
  flat.dense.setWeights(dense.getWeights());
  flat.model.getLayer('conv').setWeights(features.getLayer('conv').getWeights());
  const image = tiledImage();
  const before = tf.memory().numTensors;
  const a = await gradCam(composed, 'mask', image, 2);
  const b = await gradCam(flat.model, 'mask', image, 2);
  assert.equal(a.score.kind, 'logit');
  assert.ok(Math.abs(a.score.value - b.score.value) < 1e-5);
  assertClose(a.heatmap, b.heatmap, 1e-5, 'nested vs flat');
  assert.equal(lastConvLayer(composed), 'mask');
  assert.equal(tf.memory().numTensors, before);
  image.dispose();
});

test('Grad-CAM works across a skip connection (the branch around the layer is held fixed)', async () => {
  const input = tf.input({ shape: [8, 8, 3] });
  const a = tf.layers.conv2d({ filters: K, kernelSize: 3, padding: 'same', name: 'conv_a', kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }) }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: K, kernelSize: 3, padding: 'same', name: 'conv_b', kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }) }).apply(a) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'add' }).apply([a, b]) as tf.SymbolicTensor;
  const dense = tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }) });
  const model = tf.model({ inputs: input, outputs: dense.apply(tf.layers.globalAveragePooling2d({}).apply(sum)) as tf.SymbolicTensor });
  const image = tf.randomUniform([8, 8, 3], -1, 1, 'float32', 9) as tf.Tensor3D;
  const B = tf.model({ inputs: input, outputs: b }).predict(image.expandDims(0)) as tf.Tensor;
  const acts = (await B.data()) as Float32Array;
  B.dispose();
  const W = (await dense.getWeights()[0]!.array()) as number[][];
  const before = tf.memory().numTensors;
  const r = await gradCam(model, 'conv_b', image, 0);
  const cam = handCam(acts, W, 0);
  const max = Math.max(...cam);
  assertClose(r.heatmap, max > 0 ? cam.map((v) => v / max) : cam, 1e-5, 'CAM at conv_b');
  assert.equal(lastConvLayer(model), 'add');
  assert.equal(tf.memory().numTensors, before);
  image.dispose();
});
