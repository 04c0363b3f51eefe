import { join } from 'node:path';
import { fingerprint } from '../data/dataset.js';
import type { ResizeMode } from '../data/decodeImage.js';
import type { PoolingMode } from '../backbones/backbone.js';
import { predictProba, saveHead, trainHead, type HeadConfig } from '../heads/index.js';
import { evaluate } from '../metrics/evaluate.js';
import { currentBackend } from '../backend/selectBackend.js';
import { newRunId, PendingRun } from '../runs/runStore.js';
import type { Prediction, RunRecord } from '../runs/runRecord.js';
import type { ProgressCallback } from '../util/progress.js';
import { FttlError } from '../util/errors.js';
import { prepareFeatures, type PreparedFeatures } from './prepareFeatures.js';
import { countPerClass, headLabel, predictionsOf } from './runHelpers.js';

export interface TransferRunOptions {
  train: string;
  test?: string;
  backbone: string;
  layer?: string;
  pooling?: PoolingMode;
  resizeMode: ResizeMode;
  head: HeadConfig;
  seed: number;
  testFraction: number;
  valFraction: number;
  runsDir: string;
  featureCacheDir: string;
  weightsCacheDir?: string;
  batchSize: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface RunResult {
  record: RunRecord;
  runDir: string;
  predictions: Prediction[];
}

/**
 * The seed's transfer-learning experiment as one call: frozen backbone → feature vectors →
 * a trained head → metrics on the held-out test split, written as a self-describing run folder.
 */
export async function transferRun(opts: TransferRunOptions, prepared?: PreparedFeatures): Promise<RunResult> {
  const started = performance.now();
  const features = prepared ?? (await prepareFeatures(opts));
  const { splits, backbone } = features;
  const numClasses = splits.classes.length;
  if (numClasses < 2) throw new FttlError('bad-input', `${opts.train} has ${numClasses} class; a classifier needs at least 2.`);

  const model = `${headLabel(opts.head.kind)} · ${backbone.name}`;
  const id = newRunId(`${opts.head.kind}-${backbone.architecture}`);
  const pending = await PendingRun.start(opts.runsDir, id);
  try {
    const trainStarted = performance.now();
    const head = await trainHead({
      x: features.train.features,
      y: features.train.labels,
      numClasses,
      val: features.val.items.length > 0 ? { x: features.val.features, y: features.val.labels } : undefined,
      config: opts.head,
      signal: opts.signal,
      onEpoch: (r) =>
        opts.onProgress?.({
          phase: `train ${opts.head.kind}`,
          done: r.epoch,
          total: opts.head.kind === 'lr' ? opts.head.maxIter : opts.head.epochs,
          message: `loss ${r.loss.toFixed(4)}${r.valLoss !== undefined ? ` val ${r.valLoss.toFixed(4)}` : ''}`,
        }),
    });
    const trainSeconds = (performance.now() - trainStarted) / 1000;

    const probs = predictProba(head.model, features.test.features);
    const { predictions, yTrue, yPred, rows } = predictionsOf(features.test.items, probs, splits.classes);
    const metrics = evaluate(yTrue, yPred, rows, splits.classes);
    await saveHead(head, join(pending.stagingDir, 'head'));

    const backend = await currentBackend();
    const record: RunRecord = {
      formatVersion: 1,
      id,
      kind: 'transfer',
      model,
      createdAt: new Date().toISOString(),
      config: {
        train: opts.train,
        test: opts.test ?? null,
        backbone: opts.backbone,
        backboneId: backbone.id,
        backboneName: backbone.name,
        layer: features.layer,
        pooling: features.pooling,
        resizeMode: opts.resizeMode,
        inputSize: backbone.inputSize,
        preprocess: backbone.preprocess,
        seed: opts.seed,
        testFraction: opts.testFraction,
        valFraction: opts.valFraction,
        head: { ...opts.head },
      },
      dataset: {
        fingerprint: fingerprint({ root: opts.train, classes: splits.classes, items: [...splits.train, ...splits.val, ...splits.test], skipped: [] }),
        splitSource: splits.source,
        classes: splits.classes,
        counts: {
          train: countPerClass(features.train.labels, numClasses),
          val: countPerClass(features.val.labels, numClasses),
          test: countPerClass(features.test.labels, numClasses),
        },
      },
      skipped: features.skipped,
      backend: { name: backend.name, threads: backend.threads, runtime: features.runtime },
      timings: {
        splitSeconds: features.seconds.split,
        loadBackboneSeconds: features.seconds.loadBackbone,
        extractSeconds: features.seconds.extract,
        featuresFromCache: features.cache.fromCache,
        featuresExtracted: features.cache.extracted,
        trainSeconds,
        totalSeconds: (performance.now() - started) / 1000,
      },
      featureDim: features.train.features.dim,
      history: head.history,
      bestEpoch: head.bestEpoch,
      metrics,
      headDir: 'head',
    };
    head.model.dispose();
    const runDir = await pending.commit(record, predictions);
    return { record, runDir, predictions };
  } catch (err) {
    await pending.abandon();
    throw err;
  }
}

