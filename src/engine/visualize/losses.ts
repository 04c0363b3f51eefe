// The misclassified gallery: a run's test images by loss, and the images of a confusion-matrix cell,
// read from predictions.json (nothing is recomputed).
import type { Prediction } from '../runs/runRecord.js';
import { readPredictions, readRun } from '../runs/runStore.js';
import { FttlError } from '../util/errors.js';

/** Probabilities are clipped to [1e-15, 1] before the log, so a zero probability gives a finite loss (34.54). */
export const LOSS_EPSILON = 1e-15;

/** One test image of a run with its loss. */
export interface LossItem {
  /** Row of predictions.json. */
  index: number;
  path: string;
  label: string;
  labelIndex: number;
  predicted: string;
  predictedIndex: number;
  /** p(predicted class). */
  probability: number;
  /** p(true class). */
  trueProbability: number;
  /** Cross-entropy of the image: −ln p(true class) (fastai's top losses). */
  loss: number;
  correct: boolean;
}

function classIndex(classes: string[], name: string, row: number): number {
  const i = classes.indexOf(name);
  if (i < 0) throw new FttlError('bad-input', `predictions.json row ${row} names class "${name}", which is not one of ${classes.join(', ')}.`);
  return i;
}

/** Every prediction with its loss, in file order. */
export function lossItems(predictions: Prediction[], classes: string[]): LossItem[] {
  return predictions.map((p, index) => {
    const labelIndex = classIndex(classes, p.label, index);
    const predictedIndex = classIndex(classes, p.predicted, index);
    if (p.probabilities.length !== classes.length) {
      throw new FttlError('bad-input', `predictions.json row ${index} has ${p.probabilities.length} probabilities for ${classes.length} classes.`);
    }
    const trueProbability = p.probabilities[labelIndex]!;
    return {
      index,
      path: p.path,
      label: p.label,
      labelIndex,
      predicted: p.predicted,
      predictedIndex,
      probability: p.probabilities[predictedIndex]!,
      trueProbability,
      loss: -Math.log(Math.min(1, Math.max(LOSS_EPSILON, trueProbability))),
      correct: labelIndex === predictedIndex,
    };
  });
}

const byLoss = (a: LossItem, b: LossItem) => b.loss - a.loss || a.index - b.index;

/**
 * The images with the highest loss first (ties: file order). `top` keeps the first n;
 * `misclassifiedOnly` drops the correctly classified (fastai's top_losses keeps them).
 */
export function topLosses(predictions: Prediction[], classes: string[], opts: { top?: number; misclassifiedOnly?: boolean } = {}): LossItem[] {
  const items = lossItems(predictions, classes).filter((i) => !opts.misclassifiedOnly || !i.correct).sort(byLoss);
  return opts.top !== undefined ? items.slice(0, Math.max(0, opts.top)) : items;
}

/** The images of confusion-matrix cell (true class `trueIndex`, predicted `predictedIndex`), highest loss first. */
export function confusionCell(predictions: Prediction[], classes: string[], trueIndex: number, predictedIndex: number): LossItem[] {
  for (const [what, i] of [['true', trueIndex], ['predicted', predictedIndex]] as const) {
    if (!Number.isInteger(i) || i < 0 || i >= classes.length) throw new FttlError('bad-input', `The ${what} class ${i} is not one of 0–${classes.length - 1}.`);
  }
  return lossItems(predictions, classes)
    .filter((i) => i.labelIndex === trueIndex && i.predictedIndex === predictedIndex)
    .sort(byLoss);
}

/** Counts per confusion-matrix cell, rows true class, columns predicted (the run's metrics use the same layout). */
export function confusionCounts(predictions: Prediction[], classes: string[]): number[][] {
  const m = classes.map(() => classes.map(() => 0));
  for (const i of lossItems(predictions, classes)) m[i.labelIndex]![i.predictedIndex]!++;
  return m;
}

export interface RunErrors {
  runId: string;
  classes: string[];
  confusionMatrix: number[][];
  /** Set when a cell was asked for. */
  cell?: { trueIndex: number; predictedIndex: number };
  items: LossItem[];
}

/**
 * A run's gallery from its folder: the cell's images (highest loss first) when `cell` is given,
 * else the top losses (`misclassifiedOnly` default false, as fastai).
 */
export async function runErrors(
  runDir: string,
  opts: { top?: number; cell?: { trueIndex: number; predictedIndex: number }; misclassifiedOnly?: boolean } = {},
): Promise<RunErrors> {
  const record = await readRun(runDir);
  const predictions = await readPredictions(runDir);
  const classes = record.dataset.classes;
  const result: RunErrors = { runId: record.id, classes, confusionMatrix: confusionCounts(predictions, classes), items: [] };
  if (opts.cell) {
    result.cell = opts.cell;
    const items = confusionCell(predictions, classes, opts.cell.trueIndex, opts.cell.predictedIndex);
    result.items = opts.top !== undefined ? items.slice(0, Math.max(0, opts.top)) : items;
  } else {
    const o: { top?: number; misclassifiedOnly?: boolean } = {};
    if (opts.top !== undefined) o.top = opts.top;
    if (opts.misclassifiedOnly !== undefined) o.misclassifiedOnly = opts.misclassifiedOnly;
    result.items = topLosses(predictions, classes, o);
  }
  return result;
}
