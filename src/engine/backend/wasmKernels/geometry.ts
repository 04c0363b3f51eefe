import * as tf from '@tensorflow/tfjs';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** A 2-D convolution's sizes (NHWC), as the forward pass computed them. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  /** Output channels: the filter's last dim for conv2d, inC × multiplier for depthwise. */
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/**
 * The geometry tfjs itself computes for a forward conv, so the gradients line up with it exactly
 * ('same' padding's extra row goes at the bottom/right, as in TensorFlow).
 */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined,
  depthwise: boolean,
  dilations: number | [number, number] = 1,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
): ConvGeometry {
  if (dataFormat !== 'NHWC') throw new Error(`FTTL's wasm conv gradients support NHWC only, got ${dataFormat}`);
  if (!tf.backend_util.tupleValuesAreOne(dilations)) throw new Error('FTTL\'s wasm conv gradients need dilation 1 (as tfjs\'s own gradients do)');
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
