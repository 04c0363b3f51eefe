/**
 * Input checks shared by the metric functions. A metric computed from mismatched or
 * out-of-range inputs would be silently wrong, so every entry point checks and throws.
 */

/** Checks that `k` is a usable class count (at least one class). */
export function checkClassCount(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new Error(`metrics: the class count must be an integer ≥ 1, got ${k}`);
}

/** Checks that `labels` holds only integer class indices in 0..k-1. */
export function checkLabels(labels: ArrayLike<number>, k: number, name: string): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new Error(`metrics: ${name}[${i}] = ${v} is not a class index in 0..${k - 1}`);
    }
  }
}

/** Checks that truth and predictions are label arrays of the same length with indices in 0..k-1. */
export function checkLabelPair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, k: number): void {
  checkClassCount(k);
  if (yTrue.length !== yPred.length) {
    throw new Error(`metrics: yTrue has ${yTrue.length} labels but yPred has ${yPred.length}`);
  }
  checkLabels(yTrue, k, 'yTrue');
  checkLabels(yPred, k, 'yPred');
}

/** Checks that there are `n` score rows of `k` finite numbers each. */
export function checkProbabilities(probabilities: ArrayLike<ArrayLike<number>>, n: number, k: number): void {
  if (probabilities.length !== n) {
    throw new Error(`metrics: there are ${n} labels but ${probabilities.length} probability rows`);
  }
  for (let i = 0; i < n; i++) {
    const row = probabilities[i]!;
    if (row.length !== k) throw new Error(`metrics: probabilities[${i}] has ${row.length} values, expected ${k} (one per class)`);
    for (let j = 0; j < k; j++) {
      if (!Number.isFinite(row[j])) throw new Error(`metrics: probabilities[${i}][${j}] = ${row[j]} is not a finite number`);
    }
  }
}

/** Checks that `cm` is a square matrix of non-negative integer counts. */
export function checkConfusion(cm: readonly (readonly number[])[]): void {
  checkClassCount(cm.length);
  cm.forEach((row, i) => {
    if (row.length !== cm.length) throw new Error(`metrics: confusion matrix row ${i} has ${row.length} entries, expected ${cm.length}`);
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) throw new Error(`metrics: confusion matrix [${i}][${j}] = ${v} is not a count`);
    });
  });
}
