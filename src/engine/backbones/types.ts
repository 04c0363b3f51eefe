import type * as tf from '@tensorflow/tfjs';
import type { ProgressCallback } from '../util/progress.js';
import type { PreprocessKind } from './preprocess.js';

export type Architecture = 'vgg16' | 'mobilenet_v1' | 'mobilenet_v2' | 'custom';

/** How a feature layer's output becomes a vector: flattened, global-average-pooled, or as it is. */
export type PoolingMode = 'flatten' | 'avg' | 'none';

/** A loaded pretrained network and what FTTL needs to know to take features from it. */
export interface Backbone {
  /**
   * Identity of architecture + weights, e.g. `mobilenet_v1_0.75_224@3f2a…` (12 hex digits of a SHA-256
   * over the weights). The feature cache keys on it, so it changes whenever the weights do.
   */
  id: string;
  /** Human name, e.g. "MobileNet v1 α0.75 (ImageNet, TF.js)". */
  name: string;
  architecture: Architecture;
  alpha?: number;
  /** Square input side the network expects (images are resized to it). */
  inputSize: number;
  preprocess: PreprocessKind;
  /** The full network as loaded (with its classification top if it had one). */
  model: tf.LayersModel;
  /** Suggested layers to extract from (stage ends of the conv trunk, fully connected layers). */
  featureLayers: string[];
  /** VGG-16: block5_pool + flatten (25,088-d); MobileNets: last conv block + avg. */
  defaultFeature: { layer: string; pooling: PoolingMode };
  /** Class names of the model's classification top, when known. */
  classNames?: string[];
  /** What the user passed to loadBackbone. */
  source: string;
}

export interface LoadBackboneOptions {
  /** Where downloaded Keras weights are cached (the weights module's default otherwise). */
  cacheDir?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Seed for `:random` backbones (default 1). */
  seed?: number;
}
