import * as tf from '@tensorflow/tfjs';
import { runtimePreference, type RuntimePreference } from '../inference/createRunner.js';
import { FttlError } from '../util/errors.js';
import { ortTrainingEngine } from './onnx/ortEngine.js';
import type { OptimizerSpec } from './optimizer.js';
import { tfjsTrainingEngine } from './tfjsEngine.js';

/** One mini-batch: rows of the model's input, their labels and (class) sample weights. */
export interface TrainBatch {
  xs: Float32Array;
  count: number;
  labels: Int32Array;
  /** Per-row weights; the loss is Σ wᵢ·CEᵢ / count (Keras with class_weight). */
  weights: Float32Array;
  /** Seeds this step's dropout masks. */
  dropoutSeed: number;
}

/**
 * Who runs the training steps of a tfjs Layers model whose output is class probabilities: tfjs
 * itself (its active backend), or onnxruntime on forward + backward graphs built from the model.
 * Either way the tfjs model is the record: `commit()` writes the engine's weights into it.
 */
export interface TrainingEngine {
  /** 'onnxruntime-cpu', 'onnxruntime-cuda' or 'tfjs-<backend>' (for logs and run records). */
  readonly name: string;
  /** Why onnxruntime was not used, when 'auto' fell back to tfjs. */
  readonly fallbackReason?: string;
  /** One optimiser step; the loss and hits are those of the training-mode forward pass. */
  step(batch: TrainBatch): Promise<{ loss: number; correct: number }>;
  /** Class probabilities (inference mode) of `count` rows, row-major. */
  predict(xs: Float32Array, count: number): Promise<Float32Array>;
  /** A copy of every model weight now (model.weights order). */
  snapshot(): Float32Array[];
  /** Makes `weights` (a snapshot) current, in the engine and in the tfjs model. */
  restore(weights: Float32Array[]): void;
  /** Writes the engine's current weights into the tfjs model. */
  commit(): void;
  dispose(): void;
}

export interface TrainingEngineOptions {
  model: tf.LayersModel;
  optimizer: OptimizerSpec;
  /** Whether a BatchNormalization layer trains on batch statistics. */
  bnTraining: (layerName: string) => boolean;
  /** The model's training-mode forward pass on tfjs (dropout seeded by the step's seed). */
  tfjsForward: (x: tf.Tensor, dropoutSeed: number) => tf.Tensor;
  /** Default 'auto'; FTTL_RUNTIME overrides it, as for forward passes. */
  runtime?: RuntimePreference;
}

/**
 * The training engine for a model: with native TensorFlow (tfjs-node / -gpu) active, or 'tfjs'
 * asked for, tfjs; otherwise onnxruntime, which on a CPU runs the backward pass several times
 * faster than tfjs's wasm backend. A model with a layer the graph builder has no rule for, or
 * onnxruntime missing, falls back to tfjs ('auto') or fails ('onnx').
 */
export async function createTrainingEngine(opts: TrainingEngineOptions): Promise<TrainingEngine> {
  const preference = runtimePreference(opts.runtime);
  if (preference === 'tfjs' || (preference === 'auto' && tf.getBackend() === 'tensorflow')) return tfjsTrainingEngine(opts);
  try {
    return await ortTrainingEngine(opts);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? String(err);
    if (preference === 'onnx') throw new FttlError('internal', `onnxruntime cannot train ${opts.model.name}: ${reason}`, { cause: err });
    return Object.assign(tfjsTrainingEngine(opts), { fallbackReason: reason });
  }
}

/** How many rows' arg-max equals their label. */
export function countCorrect(probs: Float32Array, labels: Int32Array, K: number): number {
  let correct = 0;
  for (let r = 0; r < labels.length; r++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probs[r * K + k]! > probs[r * K + best]!) best = k;
    if (best === labels[r]) correct++;
  }
  return correct;
}
