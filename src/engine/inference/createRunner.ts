import * as tf from '@tensorflow/tfjs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { featureModel, type Backbone, type PoolingMode } from '../backbones/backbone.js';
import { FttlError } from '../util/errors.js';
import type { ForwardRunner } from './forwardRunner.js';
import { onnxRunner } from './onnx/onnxRunner.js';
import { tfjsRunner } from './tfjsRunner.js';

/** Which runtime computes forward passes: 'auto' picks the fastest that works. */
export type RuntimePreference = 'auto' | 'onnx' | 'tfjs';

export interface CreateRunnerOptions {
  backbone: Backbone;
  /** Feature layer (default: the backbone's default feature). */
  layer?: string;
  /** Pooling of the layer's output (featureModel's default rule when omitted). */
  pooling?: PoolingMode;
  /**
   * Run the whole network as it is (its classification top included) instead of a feature model.
   * `layer` and `pooling` are then ignored.
   */
  wholeModel?: boolean;
  /** Where exported .onnx graphs are cached (default: onnxCacheDir()). */
  onnxCacheDir?: string;
  /** Default 'auto'; FTTL_RUNTIME in the environment overrides it. */
  runtime?: RuntimePreference;
  /** Told why onnxruntime was not used when 'auto' falls back to tfjs. */
  onFallback?: (reason: string) => void;
}

/** A runner plus, when 'auto' could not use onnxruntime, why. */
export type CreatedRunner = ForwardRunner & { fallbackReason?: string };

/** Folder of exported ONNX graphs: explicit > $FTTL_ONNX_CACHE > $XDG_CACHE_HOME/fttl/onnx (~/.cache/fttl/onnx). */
export function onnxCacheDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const env = process.env.FTTL_ONNX_CACHE;
  if (env) return resolve(env);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fttl', 'onnx');
}

export function runtimePreference(explicit: RuntimePreference | undefined): RuntimePreference {
  const env = process.env.FTTL_RUNTIME;
  if (env) {
    if (env === 'auto' || env === 'onnx' || env === 'tfjs') return env;
    throw new FttlError('bad-input', `FTTL_RUNTIME="${env}" is not one of auto, onnx, tfjs.`);
  }
  return explicit ?? 'auto';
}

/**
 * The one place forward runners are made (extraction, evaluation, classification):
 * - native TensorFlow (tfjs-node / tfjs-node-gpu) active → the tfjs runner, untouched (it is fast);
 * - otherwise onnxruntime (CPU, or CUDA where its provider is installed) on the model exported to
 *   ONNX, cached per backbone id + layer + pooling;
 * - a model that does not convert, or onnxruntime missing → the tfjs runner on the active backend.
 * 'onnx' makes onnxruntime mandatory (errors surface); 'tfjs' never tries it.
 */
export async function createRunner(opts: CreateRunnerOptions): Promise<CreatedRunner> {
  const { backbone } = opts;
  const layer = opts.layer ?? backbone.defaultFeature.layer;
  const pooling = opts.pooling ?? (opts.layer === undefined || opts.layer === backbone.defaultFeature.layer ? backbone.defaultFeature.pooling : 'none');
  const model = opts.wholeModel ? backbone.model : featureModel(backbone, layer, pooling);
  const tfjs = () => tfjsRunner(model, backbone.preprocess, backbone.inputSize);

  const preference = runtimePreference(opts.runtime);
  if (preference === 'tfjs' || (preference === 'auto' && tf.getBackend() === 'tensorflow')) return tfjs();
  try {
    return await onnxRunner(
      { model, key: `${backbone.id}|${opts.wholeModel ? '(whole model)' : `${layer}|${pooling}`}`, preprocess: backbone.preprocess },
      { cacheDir: onnxCacheDir(opts.onnxCacheDir) },
    );
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? String(err);
    if (preference === 'onnx') throw new FttlError('internal', `onnxruntime cannot run ${backbone.name}: ${reason}`, { cause: err });
    opts.onFallback?.(reason);
    return Object.assign(tfjs(), { fallbackReason: reason });
  }
}
