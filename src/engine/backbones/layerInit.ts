import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/rng.js';

/**
 * How a freshly built architecture's kernels are initialised.
 * - `random` (default): Keras' glorot-uniform, seeded per layer from `seed`, so a `:random` backbone
 *   is the same network on every run and machine (benchmarks and tests depend on that).
 * - `zeros`: skips random number generation; for when pretrained weights overwrite every kernel
 *   anyway (VGG-16's fc1 alone is 103 M random draws otherwise).
 */
export interface InitOptions {
  init?: 'random' | 'zeros';
  seed?: number;
}

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** Returns a factory giving each layer its own kernel initialiser, in build order. */
export function kernelInitializers(opts: InitOptions): () => Initializer {
  if (opts.init === 'zeros') return () => tf.initializers.zeros();
  const rng = new Rng(opts.seed ?? 1);
  return () => tf.initializers.glorotUniform({ seed: rng.seed() });
}

/** Keras' BatchNormalization settings in MobileNet v1/v2 (v1 uses Keras defaults: epsilon 1e-3). */
export function batchNorm(name: string, momentum = 0.99): tf.layers.Layer {
  return tf.layers.batchNormalization({ axis: -1, epsilon: 1e-3, momentum, name });
}

/** Input spatial size sanity check shared by the builders. */
export function checkInputSize(arch: string, inputSize: number, min: number): void {
  if (!Number.isInteger(inputSize) || inputSize < min) {
    throw new RangeError(`${arch}: inputSize must be an integer ≥ ${min}, got ${inputSize}`);
  }
}
