import { join } from 'node:path';
import type { PoolingMode } from '../backbones/backbone.js';
import { loadDataset } from '../data/dataset.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { FeatureCache } from '../features/featureCache.js';
import { extractFeatures } from '../features/extractFeatures.js';
import { loadHead, predictProba } from '../heads/index.js';
import { createRunner } from '../inference/createRunner.js';
import { evaluate, type Metrics } from '../metrics/evaluate.js';
import type { Prediction } from '../runs/runRecord.js';
import { readRun } from '../runs/runStore.js';
import { FttlError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { getBackbone } from './backboneSession.js';
import { evaluateFinetuneRun } from './finetuneModel.js';
import { defaultOnnxCacheDir } from './prepareFeatures.js';
import { predictionsOf } from './runHelpers.js';

export interface Evaluation {
  runId: string;
  test: string;
  metrics: Metrics;
  predictions: Prediction[];
  /** What computed the forward passes (e.g. "onnxruntime-cpu", "tfjs-wasm"). */
  runtime: string;
  skipped: { path: string; reason: string }[];
}

/** Scores a finished run's model on another labelled image set (same classes), without changing the run. */
export async function evaluateRun(
  runDir: string,
  testSource: string,
  opts: { featureCacheDir: string; weightsCacheDir?: string; onnxCacheDir?: string; batchSize: number; onProgress?: ProgressCallback; signal?: AbortSignal },
): Promise<Evaluation> {
  const record = await readRun(runDir);
  if (record.kind === 'finetune') return evaluateFinetuneRun(runDir, testSource, opts); // self-contained model, no feature cache
  const classes = record.dataset.classes;
  const dataset = await loadDataset(testSource, { classes });
  const backbone = await getBackbone(record.config.backbone, { weightsCacheDir: opts.weightsCacheDir, onProgress: opts.onProgress, signal: opts.signal });
  if (backbone.id !== record.config.backboneId) {
    throw new FttlError('weights', `Run ${record.id} was trained on backbone ${record.config.backboneId}, but "${record.config.backbone}" now loads ${backbone.id}.`);
  }
  const pooling = record.config.pooling as PoolingMode;
  const runner = await createRunner({
    backbone,
    layer: record.config.layer,
    pooling,
    onnxCacheDir: opts.onnxCacheDir ?? defaultOnnxCacheDir(opts.featureCacheDir),
  });
  const cache = new FeatureCache(
    opts.featureCacheDir,
    { backboneId: backbone.id, layer: record.config.layer, pooling, inputSize: backbone.inputSize, resizeMode: record.config.resizeMode, preprocess: backbone.preprocess },
    runner.outputSize,
  );
  const extracted = await extractFeatures({
    items: dataset.items,
    runner,
    cache,
    resizeMode: record.config.resizeMode as ResizeMode,
    batchSize: opts.batchSize,
    onProgress: opts.onProgress,
    signal: opts.signal,
  }).finally(() => runner.dispose());
  if (extracted.items.length === 0) throw new FttlError('bad-input', `No readable images in ${testSource}.`);
  const head = await loadHead(join(runDir, record.headDir));
  try {
    const probs = predictProba(head.model, extracted.features);
    const { predictions, yTrue, yPred, rows } = predictionsOf(extracted.items, probs, classes);
    return {
      runId: record.id,
      test: testSource,
      metrics: evaluate(yTrue, yPred, rows, classes),
      predictions,
      runtime: runner.runtime,
      skipped: [...dataset.skipped, ...extracted.skipped],
    };
  } finally {
    head.model.dispose();
  }
}
