import { dirname, join } from 'node:path';
import type { Backbone, PoolingMode } from '../backbones/backbone.js';
import { resolveSplits, type Splits } from '../data/splits.js';
import { assertNoEmptyClass, type ImageItem, type SkippedFile } from '../data/dataset.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { FeatureCache } from '../features/featureCache.js';
import { extractFeatures } from '../features/extractFeatures.js';
import { selectRows, type FeatureMatrix } from '../features/featureMatrix.js';
import { createRunner } from '../inference/createRunner.js';
import type { ProgressCallback } from '../util/progress.js';
import { getBackbone } from './backboneSession.js';

/** The options every pipeline that reads a dataset through a backbone takes (features, transfer runs, fine-tuning). */
export interface BaseFeatureOptions {
  train: string;
  test?: string;
  backbone: string;
  layer?: string;
  pooling?: PoolingMode;
  resizeMode: ResizeMode;
  seed: number;
  testFraction: number;
  valFraction: number;
  featureCacheDir: string;
  weightsCacheDir?: string;
  batchSize: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface FeatureOptions extends BaseFeatureOptions {
  /** Where exported ONNX graphs are cached (default: `onnx` beside the feature cache). */
  onnxCacheDir?: string;
}

export interface SplitFeatures {
  items: ImageItem[];
  features: FeatureMatrix;
  labels: Int32Array;
}

export interface PreparedFeatures {
  splits: Splits;
  backbone: Backbone;
  layer: string;
  pooling: PoolingMode;
  /** What computed the forward passes, e.g. "onnxruntime-cpu" or "tfjs-wasm". */
  runtime: string;
  /** Why onnxruntime was not used, when the runtime fell back to tfjs. */
  runtimeNote?: string;
  train: SplitFeatures;
  val: SplitFeatures;
  test: SplitFeatures;
  skipped: SkippedFile[];
  seconds: { split: number; loadBackbone: number; extract: number };
  cache: { fromCache: number; extracted: number };
}

/**
 * Splits the data, loads the backbone and turns every image of every split into a feature vector
 * (cached on disk). Unreadable images are skipped and listed; a class left with no image is an error.
 */
export async function prepareFeatures(opts: FeatureOptions): Promise<PreparedFeatures> {
  let t = performance.now();
  const lap = () => {
    const s = (performance.now() - t) / 1000;
    t = performance.now();
    return s;
  };
  const splits = await resolveSplits({ train: opts.train, test: opts.test, seed: opts.seed, testFraction: opts.testFraction, valFraction: opts.valFraction });
  const splitSeconds = lap();
  const backbone = await getBackbone(opts.backbone, { weightsCacheDir: opts.weightsCacheDir, onProgress: opts.onProgress, signal: opts.signal });
  const loadSeconds = lap();
  const layer = opts.layer ?? backbone.defaultFeature.layer;
  const pooling = opts.pooling ?? (opts.layer ? 'none' : backbone.defaultFeature.pooling);
  const runner = await createRunner({ backbone, layer, pooling, onnxCacheDir: opts.onnxCacheDir ?? defaultOnnxCacheDir(opts.featureCacheDir) });
  const cache = new FeatureCache(
    opts.featureCacheDir,
    { backboneId: backbone.id, layer, pooling, inputSize: backbone.inputSize, resizeMode: opts.resizeMode, preprocess: backbone.preprocess },
    runner.outputSize,
  );
  const all = [...splits.train, ...splits.val, ...splits.test];
  const result = await extractFeatures({
    items: all,
    runner,
    cache,
    resizeMode: opts.resizeMode,
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
    signal: opts.signal,
  }).finally(() => runner.dispose());
  const extractSeconds = lap();

  const rowOf = new Map(result.items.map((item, row) => [item.path, row]));
  const pick = (items: ImageItem[]): SplitFeatures => {
    const kept = items.filter((i) => rowOf.has(i.path));
    return {
      items: kept,
      features: selectRows(result.features, kept.map((i) => rowOf.get(i.path)!)),
      labels: Int32Array.from(kept.map((i) => i.label)),
    };
  };
  const train = pick(splits.train);
  const val = pick(splits.val);
  const test = pick(splits.test);
  assertNoEmptyClass(splits.classes, train.items, `the training split of ${opts.train}`);
  assertNoEmptyClass(splits.classes, test.items, `the test split${opts.test ? ` (${opts.test})` : ''}`);

  return {
    splits,
    backbone,
    layer,
    pooling,
    runtime: runner.runtime,
    ...(runner.fallbackReason !== undefined ? { runtimeNote: runner.fallbackReason } : {}),
    train,
    val,
    test,
    skipped: [...splits.skipped, ...result.skipped],
    seconds: { split: splitSeconds, loadBackbone: loadSeconds, extract: extractSeconds },
    cache: { fromCache: result.fromCache, extracted: result.extracted },
  };
}

export function defaultFeatureCacheDir(workDir: string): string {
  return join(workDir, 'cache', 'features');
}

/** Exported ONNX graphs live beside the feature cache (`<workdir>/cache/onnx`). */
export function defaultOnnxCacheDir(featureCacheDir: string): string {
  return join(dirname(featureCacheDir), 'onnx');
}
