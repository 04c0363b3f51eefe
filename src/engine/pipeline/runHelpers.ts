import type { Backbone } from '../backbones/backbone.js';
import { fingerprint, type ImageItem } from '../data/dataset.js';
import type { Splits } from '../data/splits.js';
import type { HeadKind } from '../heads/index.js';
import type { Prediction, RunRecord } from '../runs/runRecord.js';
import type { BaseFeatureOptions } from './prepareFeatures.js';

const HEAD_LABELS: Record<HeadKind, string> = { lr: 'Logistic regression', mlp1: 'MLP-1', mlp2: 'MLP-2' };

export function headLabel(kind: HeadKind): string {
  return HEAD_LABELS[kind];
}

export function countPerClass(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

/** Arg-max predictions and the per-image record of a test split. */
export function predictionsOf(items: ImageItem[], probs: Float32Array, classes: string[]) {
  const k = classes.length;
  const rows: number[][] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const predictions: Prediction[] = items.map((item, i) => {
    const row = Array.from(probs.subarray(i * k, (i + 1) * k));
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
    rows.push(row);
    yTrue.push(item.label);
    yPred.push(best);
    return { path: item.path, label: classes[item.label]!, predicted: classes[best]!, probabilities: row };
  });
  return { predictions, yTrue, yPred, rows };
}

/** The `config` fields of a run record every kind of run shares (all but `head`). */
export function runConfigBase(
  opts: Pick<BaseFeatureOptions, 'train' | 'test' | 'backbone' | 'resizeMode' | 'seed' | 'testFraction' | 'valFraction'>,
  backbone: Backbone,
  layer: string,
  pooling: string,
): Omit<RunRecord['config'], 'head'> {
  return {
    train: opts.train,
    test: opts.test ?? null,
    backbone: opts.backbone,
    backboneId: backbone.id,
    backboneName: backbone.name,
    layer,
    pooling,
    resizeMode: opts.resizeMode,
    inputSize: backbone.inputSize,
    preprocess: backbone.preprocess,
    seed: opts.seed,
    testFraction: opts.testFraction,
    valFraction: opts.valFraction,
  };
}

/** The `dataset` block of a run record: the data's fingerprint, where the splits came from, and per-class counts of the images used. */
export function runDataset(root: string, splits: Splits, labels: { train: Int32Array; val: Int32Array; test: Int32Array }): RunRecord['dataset'] {
  const numClasses = splits.classes.length;
  return {
    fingerprint: fingerprint({ root, classes: splits.classes, items: [...splits.train, ...splits.val, ...splits.test], skipped: [] }),
    splitSource: splits.source,
    classes: splits.classes,
    counts: {
      train: countPerClass(labels.train, numClasses),
      val: countPerClass(labels.val, numClasses),
      test: countPerClass(labels.test, numClasses),
    },
  };
}
