// Small tfjs models for the training-engine tests: each is a real block of a backbone in miniature.
import * as tf from '@tensorflow/tfjs';

type T = tf.SymbolicTensor;
const ap = (l: tf.layers.Layer, x: T | T[]) => l.apply(x) as T;

/** A VGG block-5 + MLP-1 head in miniature: conv/relu ×2, max pool, flatten, dense, BN, dropout, softmax. */
export function vggLike(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 4], name: 'cut' });
  let x = ap(tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' }), input);
  x = ap(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c2' }), x);
  x = ap(tf.layers.maxPooling2d({ poolSize: 2, name: 'pool' }), x);
  x = ap(tf.layers.flatten({ name: 'flat' }), x);
  x = ap(tf.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }), x);
  x = ap(tf.layers.batchNormalization({ name: 'bn' }), x);
  x = ap(tf.layers.dropout({ rate: 0.5, name: 'drop' }), x);
  const y = ap(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), x);
  return tf.model({ inputs: input, outputs: y, name: 'vgg_like' });
}

/** A MobileNet last block in miniature: depthwise + BN + ReLU6, pointwise + BN + ReLU6, average pool. */
export function mobilenetLike(): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 4], name: 'cut' });
  let x = ap(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw' }), input);
  x = ap(tf.layers.batchNormalization({ name: 'dw_bn' }), x);
  x = ap(tf.layers.reLU({ maxValue: 6, name: 'dw_relu' }), x);
  x = ap(tf.layers.conv2d({ filters: 7, kernelSize: 1, useBias: false, name: 'pw' }), x);
  x = ap(tf.layers.batchNormalization({ name: 'pw_bn' }), x);
  x = ap(tf.layers.reLU({ maxValue: 6, name: 'pw_relu' }), x);
  x = ap(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  const y = ap(tf.layers.dense({ units: 4, activation: 'softmax', name: 'probs' }), x);
  return tf.model({ inputs: input, outputs: y, name: 'mobilenet_like' });
}

/** Strides, asymmetric SAME pads, explicit zero padding, a residual Add, tanh / sigmoid. */
export function stridesAndSkips(): tf.LayersModel {
  const input = tf.input({ shape: [7, 7, 3], name: 'cut' });
  let x = ap(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'zp' }), input);
  x = ap(tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'valid', name: 'dw_s2' }), x);
  x = ap(tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', name: 'c_s2' }), x);
  const branch = ap(tf.layers.conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid', name: 'branch' }), x);
  x = ap(tf.layers.add({ name: 'add' }), [x, branch]);
  x = ap(tf.layers.maxPooling2d({ poolSize: 2, strides: 1, padding: 'same', name: 'pool_same' }), x);
  x = ap(tf.layers.flatten({ name: 'flat' }), x);
  const y = ap(tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }), x);
  return tf.model({ inputs: input, outputs: y, name: 'strides_skips' });
}

