import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../util/rng.js';
import type { HeadConfig } from './types.js';
import { adadeltaSpec, adamSpec, sgdSpec, type OptimizerSpec } from '../training/optimizer.js';

/**
 * The seed's Keras head: per hidden size, Dense(relu) [-> BatchNorm] [-> Dropout], then Dense(softmax).
 * Every kernel gets its own seed from `rng` so the same config seed gives the same initial weights
 * (one shared seed would give every layer the same random pattern).
 */
export function buildMlp(config: HeadConfig, dim: number, numClasses: number, rng: Rng): tf.Sequential {
  const model = tf.sequential();
  config.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [dim] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }),
        name: `hidden_${i + 1}`,
      }),
    );
    // Keras defaults (momentum 0.99, epsilon 1e-3) are also tfjs's.
    if (config.batchNorm) model.add(tf.layers.batchNormalization({ name: `batchnorm_${i + 1}` }));
    // Only a marker for inference (identity); training applies its own seeded masks (see trainMlp).
    if (config.dropout > 0) model.add(tf.layers.dropout({ rate: config.dropout, name: `dropout_${i + 1}` }));
  });
  model.add(
    tf.layers.dense({
      ...(config.hidden.length === 0 ? { inputShape: [dim] } : {}),
      units: numClasses,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }),
      name: 'probs',
    }),
  );
  return model;
}

/** The config's optimiser, with Keras 2's constants rather than tfjs's. */
export function optimizerSpec(config: HeadConfig): OptimizerSpec {
  switch (config.optimizer) {
    case 'adadelta':
      return adadeltaSpec(config.learningRate);
    case 'adam':
      return adamSpec(config.learningRate);
    case 'sgd':
      return sgdSpec(config.learningRate);
  }
}

/**
 * Training-mode forward pass: BatchNorm uses batch statistics (and updates its moving averages),
 * Dropout draws a mask from `dropoutSeed`. tfjs's own Dropout layer would reuse one fixed seed for
 * every batch (the same mask each step) or, unseeded, use Math.random: neither is what we want.
 */
export function forwardTrain(model: tf.LayersModel, x: tf.Tensor, dropoutSeed: number): tf.Tensor {
  let h = x;
  model.layers.forEach((layer, i) => {
    if (layer.getClassName() === 'Dropout') {
      const rate = (layer.getConfig() as { rate: number }).rate;
      h = tf.dropout(h, rate, undefined, dropoutSeed + i);
    } else {
      h = layer.apply(h, { training: true }) as tf.Tensor;
    }
  });
  return h;
}
