import { checkConfusion, checkLabelPair } from './validate.js';

/**
 * `sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(k))`: rows are the true class,
 * columns the predicted class, and every class 0..k-1 gets a row and a column even when it never
 * occurs (so the matrix shape never depends on the data).
 */
export function confusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): number[][] {
  checkLabelPair(yTrue, yPred, k);
  const cm = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) cm[yTrue[i]!]![yPred[i]!]! += 1;
  return cm;
}

/** Number of samples counted in a confusion matrix. */
export function confusionTotal(cm: readonly (readonly number[])[]): number {
  let total = 0;
  for (const row of cm) for (const v of row) total += v;
  return total;
}

/**
 * `sklearn.metrics.accuracy_score`: correct predictions (the diagonal) over all samples.
 * Throws on an empty matrix, where accuracy is undefined (sklearn returns NaN).
 */
export function accuracyFromConfusion(cm: readonly (readonly number[])[]): number {
  checkConfusion(cm);
  const total = confusionTotal(cm);
  if (total === 0) throw new Error('metrics: accuracy needs at least one sample');
  let correct = 0;
  for (let i = 0; i < cm.length; i++) correct += cm[i]![i]!;
  return correct / total;
}

/** `sklearn.metrics.accuracy_score(y_true, y_pred)` for class indices in 0..k-1. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): number {
  return accuracyFromConfusion(confusionMatrix(yTrue, yPred, k));
}
