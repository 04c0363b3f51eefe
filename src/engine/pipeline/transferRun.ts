import { join } from 'node:path';
import { predictProba, saveHead, trainHead, type HeadConfig } from '../heads/index.js';
import { evaluate } from '../metrics/evaluate.js';
import { currentBackend } from '../backend/selectBackend.js';
import { newRunId, PendingRun } from '../runs/runStore.js';
import type { Prediction, RunRecord } from '../runs/runRecord.js';
import { FttlError } from '../util/errors.js';
import { prepareFeatures, type BaseFeatureOptions, type PreparedFeatures } from './prepareFeatures.js';
import { headLabel, predictionsOf, runConfigBase, runDataset } from './runHelpers.js';

export interface TransferRunOptions extends BaseFeatureOptions {
  head: HeadConfig;
  runsDir: string;
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
      onEpoch: (r) => {
        const total = opts.head.kind === 'lr' ? opts.head.maxIter : opts.head.epochs;
        opts.onProgress?.({
          phase: `train ${opts.head.kind}`,
          done: r.epoch,
          total,
          message: `loss ${r.loss.toFixed(4)}${r.valLoss !== undefined ? ` val ${r.valLoss.toFixed(4)}` : ''}`,
          epoch: { record: { ...r }, total },
        });
      },
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
      config: { ...runConfigBase(opts, backbone, features.layer, features.pooling), head: { ...opts.head } },
      dataset: runDataset(opts.train, splits, { train: features.train.labels, val: features.val.labels, test: features.test.labels }),
      skipped: features.skipped,
      backend: {
        name: backend.name,
        threads: backend.threads,
        runtime: features.runtime,
        ...(head.trainer ? { trainer: head.trainer } : {}),
        ...(head.trainerNote ? { trainerNote: head.trainerNote } : {}),
      },
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

