import * as tf from '@tensorflow/tfjs';
import { weightedCrossEntropyStep } from '../heads/trainStep.js';
import type { TrainingEngine, TrainingEngineOptions } from './engine.js';
import { disposeTfOptimizer, tfOptimizer } from './optimizer.js';

/** Training steps on tfjs's active backend: tf.train's optimiser over the model's trainable weights. */
export function tfjsTrainingEngine(opts: TrainingEngineOptions): TrainingEngine {
  const { model } = opts;
  const optimizer = tfOptimizer(opts.optimizer);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const inputShape = model.inputs[0]!.shape.slice(1) as number[];
  const K = model.outputs[0]!.shape.at(-1)!;
  return {
    name: `tfjs-${tf.getBackend()}`,
    async step(b) {
      return weightedCrossEntropyStep(optimizer, vars, b.xs, [b.count, ...inputShape], b.labels, b.weights, K, (x) => opts.tfjsForward(x, b.dropoutSeed));
    },
    async predict(xs, count) {
      return tf.tidy(() => (model.predict(tf.tensor(xs.subarray(0, count * inputShape.reduce((a, d) => a * d, 1)), [count, ...inputShape])) as tf.Tensor).dataSync() as Float32Array);
    },
    snapshot() {
      return model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
    },
    restore(weights) {
      tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.tensor(weights[i]!, w.shape as number[]))));
    },
    commit() {
      // The model's variables are the engine's: nothing to copy.
    },
    dispose() {
      disposeTfOptimizer(optimizer);
    },
  };
}
