import { join } from 'node:path';
import type { PreprocessKind } from '../backbones/backbone.js';
import { loadDataset } from '../data/dataset.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { extractFeatures } from '../features/extractFeatures.js';
import { loadModelFolder } from '../finetune/modelFiles.js';
import { tfjsRunner } from '../inference/tfjsRunner.js';
import { evaluate } from '../metrics/evaluate.js';
import type { RunRecord } from '../runs/runRecord.js';
import { readRun } from '../runs/runStore.js';
import { FttlError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import type { ImageClassifier } from './classify.js';
import type { Evaluation } from './evaluateRun.js';
import { predictionsOf } from './runHelpers.js';

// A fine-tuning run's model is self-contained (frozen prefix included): classifying or evaluating
// with it needs neither the backbone nor a feature cache.

/** The classifier of a fine-tuning run: its saved end-to-end model, image → class probabilities. */
export async function finetuneClassifier(runDir: string, record?: RunRecord): Promise<ImageClassifier> {
  const r = record ?? (await readRun(runDir));
  if (r.kind !== 'finetune') throw new FttlError('bad-input', `Run ${r.id} is not a fine-tuning run.`);
  const model = await loadModelFolder(join(runDir, r.modelDir ?? 'model'));
  const features = tfjsRunner(model, r.config.preprocess as PreprocessKind, r.config.inputSize);
  return {
    classes: r.dataset.classes,
    resizeMode: r.config.resizeMode as ResizeMode,
    features,
    dispose: () => {
      features.dispose();
      model.dispose();
    },
  };
}

/** Scores a fine-tuning run's saved model on another labelled image set (same classes). */
export async function evaluateFinetuneRun(
  runDir: string,
  testSource: string,
  opts: { batchSize: number; onProgress?: ProgressCallback; signal?: AbortSignal },
): Promise<Evaluation> {
  const record = await readRun(runDir);
  const classes = record.dataset.classes;
  const dataset = await loadDataset(testSource, { classes });
  const classifier = await finetuneClassifier(runDir, record);
  try {
    const out = await extractFeatures({
      items: dataset.items,
      runner: classifier.features,
      resizeMode: classifier.resizeMode,
      batchSize: opts.batchSize,
      onProgress: opts.onProgress,
      signal: opts.signal,
      phase: 'classify',
    });
    if (out.items.length === 0) throw new FttlError('bad-input', `No readable images in ${testSource}.`);
    const { predictions, yTrue, yPred, rows } = predictionsOf(out.items, out.features.data, classes);
    return {
      runId: record.id,
      test: testSource,
      metrics: evaluate(yTrue, yPred, rows, classes),
      predictions,
      runtime: classifier.features.runtime,
      skipped: [...dataset.skipped, ...out.skipped],
    };
  } finally {
    classifier.dispose();
  }
}
