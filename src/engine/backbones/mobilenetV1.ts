import * as tf from '@tensorflow/tfjs';
import { batchNorm, checkInputSize, kernelInitializers, type InitOptions } from './layerInit.js';

export const MOBILENET_V1_ALPHAS = [0.25, 0.5, 0.75, 1.0] as const;

export interface MobileNetV1Options extends InitOptions {
  /** Width multiplier: every layer has int(filters × alpha) channels. */
  alpha: number;
  includeTop: boolean;
  inputSize?: number;
  classes?: number;
}

/** Depthwise-separable blocks 1..13: [pointwise filters, stride], as keras.applications.MobileNet. */
const BLOCKS: [filters: number, stride: number][] = [
  [64, 1],
  [128, 2],
  [128, 1],
  [256, 2],
  [256, 1],
  [512, 2],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [512, 1],
  [1024, 2],
  [1024, 1],
];

type T = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: T): T => layer.apply(x) as T;

/**
 * keras.applications.MobileNet (v1) as a tf.layers functional model with Keras 2.2+ layer names:
 * conv1_pad, conv1, conv1_bn, conv1_relu, then per block N: [conv_pad_N,] conv_dw_N, conv_dw_N_bn,
 * conv_dw_N_relu, conv_pw_N, conv_pw_N_bn, conv_pw_N_relu. Strided convs are zero-padded
 * bottom/right then 'valid' — for even input sizes identical to the 'same' padding of Keras ≤ 2.1
 * (which the hosted TF.js MobileNets were converted from), so both weight sets fit.
 * Without the top the output is conv_pw_13_relu (7×7×int(1024α) at 224).
 */
export function buildMobileNetV1(opts: MobileNetV1Options): tf.LayersModel {
  const { alpha } = opts;
  if (!(alpha > 0)) throw new RangeError(`mobilenet_v1: alpha must be > 0, got ${alpha}`);
  const inputSize = opts.inputSize ?? 224;
  checkInputSize('mobilenet_v1', inputSize, 32);
  const kernel = kernelInitializers(opts);
  const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });

  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'conv1_pad' }), input);
  x = apply(
    tf.layers.conv2d({
      filters: Math.trunc(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      useBias: false,
      kernelInitializer: kernel(),
      name: 'conv1',
    }),
    x,
  );
  x = apply(batchNorm('conv1_bn'), x);
  x = apply(relu6('conv1_relu'), x);

  BLOCKS.forEach(([filters, stride], i) => {
    const id = i + 1;
    if (stride !== 1) x = apply(tf.layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: `conv_pad_${id}` }), x);
    x = apply(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        padding: stride === 1 ? 'same' : 'valid',
        depthMultiplier: 1,
        useBias: false,
        depthwiseInitializer: kernel(),
        name: `conv_dw_${id}`,
      }),
      x,
    );
    x = apply(batchNorm(`conv_dw_${id}_bn`), x);
    x = apply(relu6(`conv_dw_${id}_relu`), x);
    x = apply(
      tf.layers.conv2d({
        filters: Math.trunc(filters * alpha),
        kernelSize: 1,
        padding: 'same',
        useBias: false,
        kernelInitializer: kernel(),
        name: `conv_pw_${id}`,
      }),
      x,
    );
    x = apply(batchNorm(`conv_pw_${id}_bn`), x);
    x = apply(relu6(`conv_pw_${id}_relu`), x);
  });

  if (opts.includeTop) {
    // Keras 2.2's top: pool, 1×1 "conv_preds" classifier, softmax (same names as the TF.js model).
    const classes = opts.classes ?? 1000;
    x = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
    x = apply(tf.layers.reshape({ targetShape: [1, 1, Math.trunc(1024 * alpha)], name: 'reshape_1' }), x);
    x = apply(tf.layers.dropout({ rate: 1e-3, name: 'dropout' }), x);
    x = apply(
      tf.layers.conv2d({ filters: classes, kernelSize: 1, padding: 'same', kernelInitializer: kernel(), name: 'conv_preds' }),
      x,
    );
    x = apply(tf.layers.activation({ activation: 'softmax', name: 'act_softmax' }), x);
    x = apply(tf.layers.reshape({ targetShape: [classes], name: 'reshape_2' }), x);
  }
  return tf.model({ inputs: input, outputs: x, name: `mobilenet_${alpha}_${inputSize}` });
}
