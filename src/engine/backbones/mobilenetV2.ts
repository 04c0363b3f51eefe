import * as tf from '@tensorflow/tfjs';
import { batchNorm, checkInputSize, kernelInitializers, type InitOptions } from './layerInit.js';

export const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] as const;

export interface MobileNetV2Options extends InitOptions {
  /** Width multiplier (channel counts rounded to multiples of 8, as Keras does). */
  alpha: number;
  includeTop: boolean;
  inputSize?: number;
  classes?: number;
}

/** Inverted residual blocks 0..16: [output filters, stride, expansion], as keras.applications.MobileNetV2. */
const BLOCKS: [filters: number, stride: number, expansion: number][] = [
  [16, 1, 1],
  [24, 2, 6],
  [24, 1, 6],
  [32, 2, 6],
  [32, 1, 6],
  [32, 1, 6],
  [64, 2, 6],
  [64, 1, 6],
  [64, 1, 6],
  [64, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [96, 1, 6],
  [160, 2, 6],
  [160, 1, 6],
  [160, 1, 6],
  [320, 1, 6],
];

/** Keras' `_make_divisible`: round to the nearest multiple of `divisor`, never more than 10 % down. */
export function makeDivisible(v: number, divisor = 8): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < 0.9 * v) out += divisor;
  return out;
}

/** Keras' `correct_pad` for a 3×3 stride-2 conv: pad bottom/right only when the size is even. */
function correctPad(size: number | null): [[number, number], [number, number]] {
  const adjust = size == null ? 1 : 1 - (size % 2);
  return [
    [1 - adjust, 1],
    [1 - adjust, 1],
  ];
}

type T = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: T): T => layer.apply(x) as T;

/**
 * keras.applications.MobileNetV2 as a tf.layers functional model with Keras' layer names:
 * Conv1_pad, Conv1, bn_Conv1, Conv1_relu, expanded_conv_depthwise … expanded_conv_project_BN,
 * block_1_expand … block_16_project_BN (block_N_pad before strided depthwise convs, block_N_add
 * on residuals), Conv_1, Conv_1_bn, out_relu (7×7×1280 at 224 for α ≤ 1); top: pool + "Logits".
 */
export function buildMobileNetV2(opts: MobileNetV2Options): tf.LayersModel {
  const { alpha } = opts;
  if (!(alpha > 0)) throw new RangeError(`mobilenet_v2: alpha must be > 0, got ${alpha}`);
  const inputSize = opts.inputSize ?? 224;
  checkInputSize('mobilenet_v2', inputSize, 32);
  const kernel = kernelInitializers(opts);
  const relu6 = (name: string) => tf.layers.reLU({ maxValue: 6, name });
  const bn = (name: string) => batchNorm(name, 0.999);
  const conv1x1 = (filters: number, name: string) =>
    tf.layers.conv2d({ filters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: kernel(), name });

  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = apply(tf.layers.zeroPadding2d({ padding: correctPad(inputSize), name: 'Conv1_pad' }), input);
  x = apply(
    tf.layers.conv2d({
      filters: makeDivisible(32 * alpha),
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      useBias: false,
      kernelInitializer: kernel(),
      name: 'Conv1',
    }),
    x,
  );
  x = apply(bn('bn_Conv1'), x);
  x = apply(relu6('Conv1_relu'), x);

  BLOCKS.forEach(([filters, stride, expansion], id) => {
    const inputs = x;
    const inChannels = x.shape[3] as number;
    const outChannels = makeDivisible(Math.trunc(filters * alpha));
    const prefix = id === 0 ? 'expanded_conv_' : `block_${id}_`;
    if (id !== 0) {
      x = apply(conv1x1(expansion * inChannels, `${prefix}expand`), x);
      x = apply(bn(`${prefix}expand_BN`), x);
      x = apply(relu6(`${prefix}expand_relu`), x);
    }
    if (stride === 2) x = apply(tf.layers.zeroPadding2d({ padding: correctPad(x.shape[1] ?? null), name: `${prefix}pad` }), x);
    x = apply(
      tf.layers.depthwiseConv2d({
        kernelSize: 3,
        strides: stride,
        padding: stride === 1 ? 'same' : 'valid',
        useBias: false,
        depthwiseInitializer: kernel(),
        name: `${prefix}depthwise`,
      }),
      x,
    );
    x = apply(bn(`${prefix}depthwise_BN`), x);
    x = apply(relu6(`${prefix}depthwise_relu`), x);
    x = apply(conv1x1(outChannels, `${prefix}project`), x);
    x = apply(bn(`${prefix}project_BN`), x);
    if (inChannels === outChannels && stride === 1) {
      x = tf.layers.add({ name: `${prefix}add` }).apply([inputs, x]) as T;
    }
  });

  // Keras keeps 1280 channels for α ≤ 1 (the features stay rich for thin networks).
  x = apply(conv1x1(alpha > 1 ? makeDivisible(1280 * alpha) : 1280, 'Conv_1'), x);
  x = apply(bn('Conv_1_bn'), x);
  x = apply(relu6('out_relu'), x);

  if (opts.includeTop) {
    x = apply(tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }), x);
    x = apply(
      tf.layers.dense({ units: opts.classes ?? 1000, activation: 'softmax', kernelInitializer: kernel(), name: 'Logits' }),
      x,
    );
  }
  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha}_${inputSize}` });
}
