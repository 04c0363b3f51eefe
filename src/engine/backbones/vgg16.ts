import * as tf from '@tensorflow/tfjs';
import { checkInputSize, kernelInitializers, type InitOptions } from './layerInit.js';

export interface Vgg16Options extends InitOptions {
  includeTop: boolean;
  /** Square input side; 224 for ImageNet weights with the top (fc1 is sized for 7×7×512). */
  inputSize?: number;
  classes?: number;
}

/** Conv layers per block and their widths, as in keras.applications.VGG16. */
const BLOCKS: [convs: number, filters: number][] = [
  [2, 64],
  [2, 128],
  [3, 256],
  [3, 512],
  [3, 512],
];

/**
 * keras.applications.VGG16 as a tf.layers functional model, with Keras' layer names
 * (block1_conv1 … block5_pool, flatten, fc1, fc2, predictions) so Keras .h5 weights load by name.
 * With the top: 138,357,544 parameters; without: 14,714,688 (output block5_pool, 7×7×512 at 224).
 */
export function buildVgg16(opts: Vgg16Options): tf.LayersModel {
  const inputSize = opts.inputSize ?? 224;
  checkInputSize('vgg16', inputSize, 32);
  const kernel = kernelInitializers(opts);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x: tf.SymbolicTensor = input;
  BLOCKS.forEach(([convs, filters], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: kernel(),
          name: `block${b + 1}_conv${c}`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x) as tf.SymbolicTensor;
  });
  if (opts.includeTop) {
    x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4096, activation: 'relu', kernelInitializer: kernel(), name: 'fc1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 4096, activation: 'relu', kernelInitializer: kernel(), name: 'fc2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ units: opts.classes ?? 1000, activation: 'softmax', kernelInitializer: kernel(), name: 'predictions' })
      .apply(x) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: x, name: 'vgg16' });
}
