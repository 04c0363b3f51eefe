import * as tf from '@tensorflow/tfjs';
import type { ForwardRunner } from './forwardRunner.js';
import { preprocess, type PreprocessKind } from '../backbones/preprocess.js';

/** A ForwardRunner over a TensorFlow.js model on whatever tfjs backend is active. */
export function tfjsRunner(model: tf.LayersModel, preprocessKind: PreprocessKind, inputSize: number): ForwardRunner {
  const outShape = (model.outputs[0]!.shape as (number | null)[]).slice(1);
  const outputSize = outShape.reduce<number>((a, d) => a * (d ?? 1), 1);
  return {
    runtime: `tfjs-${tf.getBackend()}`,
    inputSize,
    outputSize,
    async run(pixels: Float32Array, count: number): Promise<Float32Array> {
      const out = tf.tidy(() => {
        const batch = tf.tensor4d(pixels, [count, inputSize, inputSize, 3]);
        const y = model.predict(preprocess(preprocessKind, batch)) as tf.Tensor;
        return y.reshape([count, outputSize]);
      });
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    dispose() {
      // The runner does not own the model (a backbone may serve several runners); nothing to free.
    },
  };
}
