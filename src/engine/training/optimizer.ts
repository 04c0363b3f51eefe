import * as tf from '@tensorflow/tfjs';
import { KerasAdadelta } from '../heads/kerasAdadelta.js';

/**
 * What a training run's optimiser is, independent of who applies it: tf.train's optimisers on the
 * tfjs path, the same update rules written into the training graph (onnx/trainGraph.ts) when
 * onnxruntime trains.
 */
export type OptimizerSpec =
  /** Keras SGD(momentum=m), not Nesterov: a ← m·a + g; w ← w − lr·a (plain SGD when m = 0). */
  | { kind: 'sgd'; learningRate: number; momentum: number }
  /** tf.train.adam with Keras 2's epsilon. */
  | { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number }
  /** Keras 2's Adadelta (see KerasAdadelta for why not tfjs's). */
  | { kind: 'adadelta'; learningRate: number; rho: number; epsilon: number };

export function sgdSpec(learningRate: number, momentum = 0): OptimizerSpec {
  return { kind: 'sgd', learningRate, momentum };
}

export function adamSpec(learningRate: number): OptimizerSpec {
  return { kind: 'adam', learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
}

export function adadeltaSpec(learningRate: number): OptimizerSpec {
  return { kind: 'adadelta', learningRate, rho: 0.95, epsilon: 1e-7 };
}

/** The tf.train optimiser for a spec. */
export function tfOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.kind) {
    case 'sgd':
      return spec.momentum > 0 ? tf.train.momentum(spec.learningRate, spec.momentum, false) : tf.train.sgd(spec.learningRate);
    case 'adam':
      return tf.train.adam(spec.learningRate, spec.beta1, spec.beta2, spec.epsilon);
    case 'adadelta':
      return new KerasAdadelta(spec.learningRate, spec.rho, spec.epsilon);
  }
}

/**
 * tfjs 4.22's MomentumOptimizer.dispose() forgets the learning-rate scalar its SGD base keeps
 * (`c`): one tensor leaked per run. Frees it too.
 */
export function disposeTfOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}
