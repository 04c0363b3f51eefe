import * as tf from '@tensorflow/tfjs';
import type { ForwardRunner } from '../../../src/engine/inference/forwardRunner.js';

/** `count` seeded random images, RGB 0..255 NHWC float32. */
export function randomPixels(count: number, size: number, seed = 7): Float32Array {
  return tf.tidy(() => tf.randomUniform([count, size, size, 3], 0, 255, 'float32', seed).dataSync() as Float32Array);
}

/** Largest |a − b| and largest |b| over two equal-length vectors. */
export function compare(a: Float32Array, b: Float32Array): { maxAbsDiff: number; maxAbs: number } {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let maxAbsDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(b[i]!));
  }
  return { maxAbsDiff, maxAbs };
}

/** Runs both runners on the same pixels; returns the comparison (onnx vs tfjs reference). */
export async function runBoth(onnx: ForwardRunner, ref: ForwardRunner, pixels: Float32Array, count: number) {
  const [a, b] = [await onnx.run(pixels, count), await ref.run(pixels, count)];
  return { ...compare(a, b), a, b };
}

type T = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: T | T[]) => l.apply(x) as T;

/** Gives every layer non-trivial weights (batch-norm statistics included), seeded. */
export function randomiseWeights(model: tf.LayersModel, seed: number): void {
  let s = seed;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    layer.setWeights(
      layer.weights.map((w) => {
        const name = w.originalName.split('/').pop()!;
        const [lo, hi] = name === 'moving_variance' || name === 'gamma' ? [0.5, 1.5] : name === 'moving_mean' || name === 'beta' ? [-0.5, 0.5] : [-0.3, 0.3];
        return tf.randomUniform(w.shape as number[], lo, hi, 'float32', s++);
      }),
    );
  }
}

/** A small model using every layer kind the exporter translates (besides the backbones' own). */
export function zooModel(): tf.LayersModel {
  const input = tf.input({ shape: [33, 33, 3], name: 'img' });
  let x = ap(tf.layers.rescaling({ scale: 1 / 64, offset: -1, name: 'rescale' }), input);
  // stride-2 'same' on an odd size: TF pads (1, 1); on 33 → 17.
  x = ap(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }), x);
  x = ap(tf.layers.batchNormalization({ name: 'bn1' }), x);
  // Zero-padding folded into the depthwise conv's pads; depth multiplier 2 (channel order c·2 + m).
  let d = ap(tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], name: 'zp' }), x);
  d = ap(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', useBias: true, activation: 'relu6', name: 'dw' }), d);
  const s = ap(tf.layers.separableConv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'elu', name: 'sep' }), d);
  const p = ap(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'swish', name: 'pw' }), d);
  x = ap(tf.layers.add({ name: 'add' }), [s, p]);
  x = ap(tf.layers.leakyReLU({ alpha: 0.1, name: 'leaky' }), x);
  // 'same' max pooling with an even window on an odd size → asymmetric pads.
  const m = ap(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'mp' }), x);
  const a = ap(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'ap' }), x);
  x = ap(tf.layers.concatenate({ axis: -1, name: 'cat' }), [m, a]);
  x = ap(tf.layers.conv2d({ filters: 12, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'tanh', name: 'dil' }), x);
  x = ap(tf.layers.multiply({ name: 'mul' }), [x, ap(tf.layers.activation({ activation: 'sigmoid', name: 'gate' }), x)]);
  // A zero-pad before max pooling is a real Pad node (pooling pads with −∞, not 0).
  x = ap(tf.layers.zeroPadding2d({ padding: 1, name: 'zp2' }), x);
  x = ap(tf.layers.maxPooling2d({ poolSize: 3, strides: 1, name: 'mp2' }), x);
  const sm = ap(tf.layers.softmax({ axis: -1, name: 'chan_softmax' }), x); // over channels
  const g1 = ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), sm);
  const g2 = ap(tf.layers.globalMaxPooling2d({ name: 'gmp' }), x);
  const dense4d = ap(tf.layers.dense({ units: 6, activation: 'softplus', name: 'dense_on_map' }), x); // Dense on a feature map
  let f = ap(tf.layers.flatten({ name: 'flat' }), dense4d);
  f = ap(tf.layers.dense({ units: 12, activation: 'relu', name: 'fc1' }), f);
  f = ap(tf.layers.batchNormalization({ name: 'bn2' }), f);
  f = ap(tf.layers.dropout({ rate: 0.5, name: 'drop' }), f);
  const avg = ap(tf.layers.average({ name: 'avg' }), [g1, g2, f]);
  const mx = ap(tf.layers.maximum({ name: 'max' }), [g1, f]);
  const mn = ap(tf.layers.minimum({ name: 'min' }), [g2, f]);
  let y = ap(tf.layers.concatenate({ name: 'cat2' }), [avg, mx, mn]);
  y = ap(tf.layers.reshape({ targetShape: [2, 3, 6], name: 'to_map' }), y); // 36 → a 2×3×6 map (NHWC)
  y = ap(tf.layers.conv2d({ filters: 4, kernelSize: [1, 2], useBias: false, name: 'c_last' }), y);
  y = ap(tf.layers.flatten({ name: 'flat2' }), y);
  y = ap(tf.layers.dense({ units: 5, activation: 'softmax', name: 'probs' }), y);
  const model = tf.model({ inputs: input, outputs: y, name: 'zoo' });
  randomiseWeights(model, 11);
  return model;
}

