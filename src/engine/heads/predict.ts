import * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';
import { checkMatrix } from './data.js';
import type { FeatureMatrix } from './types.js';

/** Class probabilities, row-major rows x K, computed in batches so a big matrix never becomes one tensor. */
export function predictProba(model: tf.LayersModel, x: FeatureMatrix, batchSize = 256): Float32Array {
  checkMatrix(x, 'prediction');
  const inDim = model.inputs[0]!.shape[1];
  const K = model.outputs[0]!.shape[1]!;
  if (inDim !== x.dim) {
    throw new FttlError('bad-input', `The head expects ${inDim}-d features but was given ${x.dim}-d ones.`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new FttlError('bad-input', `batchSize must be a positive integer, got ${batchSize}.`);
  const out = new Float32Array(x.rows * K);
  for (let start = 0; start < x.rows; start += batchSize) {
    const end = Math.min(start + batchSize, x.rows);
    tf.tidy(() => {
      const xb = tf.tensor2d(x.data.subarray(start * x.dim, end * x.dim), [end - start, x.dim]);
      out.set((model.predict(xb) as tf.Tensor).dataSync(), start * K);
    });
  }
  return out;
}
