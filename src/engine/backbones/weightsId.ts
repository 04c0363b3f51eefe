import type * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';

/**
 * First 12 hex digits of a SHA-256 over every weight of the model (dtype, shape, values, in the
 * model's weight order). Backbone ids embed it and the feature cache keys on ids, so any change of
 * weights — another file, a re-download, another random seed — gives new cache entries. Weight
 * names are left out: tfjs renames variables (`conv1/kernel_1`) when a model is built twice.
 */
export function weightsFingerprint(model: tf.LayersModel): string {
  const hash = createHash('sha256');
  for (const w of model.weights) {
    const values = w.read().dataSync() as Float32Array | Int32Array | Uint8Array;
    hash.update(`${w.dtype}[${w.shape.join(',')}]`);
    hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex').slice(0, 12);
}
