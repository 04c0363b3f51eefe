import type * as tf from '@tensorflow/tfjs';
import type { EpochRecord } from '../util/progress.js';

export type { EpochRecord };

/** lr: multinomial logistic regression (sklearn's default); mlp1 / mlp2: the seed project's Keras heads. */
export type HeadKind = 'lr' | 'mlp1' | 'mlp2';

export interface HeadConfig {
  kind: HeadKind;
  /**
   * LR only. What sklearn's LogisticRegression(lbfgs) minimises:
   *   sum_i sampleWeight_i * CE(y_i, softmax(W x_i + b)) + 0.5/C * ||W||^2   (bias unpenalised)
   */
  C: number;
  maxIter: number;
  tol: number;
  /** MLP only: units of each hidden Dense(relu) layer. mlp1 [256]; mlp2 [256, 128]. */
  hidden: number[];
  /** Dropout rate after each hidden layer (0 = none). */
  dropout: number;
  /** BatchNormalization after each hidden Dense, before its Dropout (mlp1 true, mlp2 false). */
  batchNorm: boolean;
  optimizer: 'adadelta' | 'adam' | 'sgd';
  /** Adadelta's Keras 2 default is 1.0 (tfjs's own default, 0.001, barely moves). */
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** 'balanced' = n_samples / (n_classes * bincount(y)), as sklearn / Keras users compute it. */
  classWeight: 'none' | 'balanced' | number[];
  /** Stop when the validation loss has not improved for `patience` epochs; the best epoch's weights are restored. */
  earlyStopping: { patience: number } | null;
  seed: number;
}

/** Row-major float32 features: row i is data[i*dim .. (i+1)*dim). */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

export interface TrainedHead {
  config: HeadConfig;
  /** Sequential: input [dim] -> softmax [numClasses]. For LR a single Dense(softmax) holding the L-BFGS solution. */
  model: tf.LayersModel;
  numClasses: number;
  dim: number;
  history: EpochRecord[];
  /** Epoch (from 1) whose weights the model holds when validation data chose them; null otherwise. */
  bestEpoch: number | null;
  stoppedEarly: boolean;
  /** Who ran the training steps (MLPs: 'onnxruntime-cpu', 'tfjs-wasm', …; LR's objective: 'onnxruntime-cpu' or 'javascript'). */
  trainer?: string;
  /** Why onnxruntime did not train it, when it was tried and could not. */
  trainerNote?: string;
}

/** What trainHead takes: features + labels in [0, numClasses), optional validation slice (for val metrics and early stopping). */
export interface TrainArgs {
  x: FeatureMatrix;
  y: Int32Array;
  numClasses: number;
  val?: { x: FeatureMatrix; y: Int32Array };
  config: HeadConfig;
  onEpoch?: (r: EpochRecord) => void;
  signal?: AbortSignal;
}
