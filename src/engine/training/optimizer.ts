import * as tf from '@tensorflow/tfjs';
import { KerasAdadelta } from '../heads/kerasAdadelta.js';

/**
 * What a training run's optimiser is, independent of who applies it: tf.train's optimisers on the
 * tfjs path, `ArrayOptimizer` (the same update rules on Float32Arrays) when onnxruntime computes
 * the gradients.
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

/**
 * The spec's update rule applied in place to parameter arrays, written as tf.train computes it
 * (same order of operations, float32 storage), so the two paths agree to rounding.
 */
export class ArrayOptimizer {
  private readonly slots = new Map<number, Float32Array[]>();
  private accBeta1: number;
  private accBeta2: number;

  constructor(readonly spec: OptimizerSpec) {
    this.accBeta1 = spec.kind === 'adam' ? spec.beta1 : 1;
    this.accBeta2 = spec.kind === 'adam' ? spec.beta2 : 1;
  }

  /** One step: `grads[i]` is the gradient of `params[i]`; `ids[i]` names its slot state. */
  apply(ids: readonly number[], params: readonly Float32Array[], grads: readonly Float32Array[]): void {
    const s = this.spec;
    ids.forEach((id, k) => {
      const w = params[k]!;
      const g = grads[k]!;
      if (w.length !== g.length) throw new RangeError(`optimizer: parameter ${id} has ${w.length} values, its gradient ${g.length}`);
      switch (s.kind) {
        case 'sgd': {
          const lr = s.learningRate;
          if (s.momentum === 0) {
            for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * g[i]!;
            return;
          }
          const [a] = this.slot(id, 1, w.length);
          const m = s.momentum;
          for (let i = 0; i < w.length; i++) {
            a![i] = m * a![i]! + g[i]!;
            w[i] = w[i]! - lr * a![i]!;
          }
          return;
        }
        case 'adam': {
          const [m, v] = this.slot(id, 2, w.length);
          const { beta1, beta2, epsilon, learningRate } = s;
          const c1 = 1 - this.accBeta1;
          const c2 = 1 - this.accBeta2;
          for (let i = 0; i < w.length; i++) {
            m![i] = m![i]! * beta1 + g[i]! * (1 - beta1);
            v![i] = v![i]! * beta2 + g[i]! * g[i]! * (1 - beta2);
            w[i] = (m![i]! / c1 / (Math.sqrt(v![i]! / c2) + epsilon)) * -learningRate + w[i]!;
          }
          return;
        }
        case 'adadelta': {
          const [acc, upd] = this.slot(id, 2, w.length);
          const { rho, epsilon, learningRate } = s;
          for (let i = 0; i < w.length; i++) {
            acc![i] = acc![i]! * rho + g[i]! * g[i]! * (1 - rho);
            const step = (Math.sqrt(upd![i]! + epsilon) / Math.sqrt(acc![i]! + epsilon)) * g[i]!;
            upd![i] = upd![i]! * rho + step * step * (1 - rho);
            w[i] = w[i]! - step * learningRate;
          }
          return;
        }
      }
    });
    if (s.kind === 'adam') {
      this.accBeta1 *= s.beta1;
      this.accBeta2 *= s.beta2;
    }
  }

  private slot(id: number, count: number, length: number): Float32Array[] {
    let slots = this.slots.get(id);
    if (!slots) {
      slots = Array.from({ length: count }, () => new Float32Array(length));
      this.slots.set(id, slots);
    }
    return slots;
  }
}
