import { confusionMatrix, confusionTotal } from './confusion.js';
import { numpySum } from './numpySum.js';
import { checkConfusion } from './validate.js';

/** Cohen's kappa of the predictions against the truth, unweighted and with ordinal weights. */
export interface Kappa {
  unweighted: number;
  linear: number;
  quadratic: number;
}

export type KappaWeights = 'linear' | 'quadratic';

/** Disagreement weight of true class i vs predicted class j, as sklearn builds `w_mat`. */
function weight(i: number, j: number, weights: KappaWeights | undefined): number {
  if (weights === undefined) return i === j ? 0 : 1;
  if (weights === 'linear') return Math.abs(i - j);
  return (i - j) * (i - j);
}

/**
 * `sklearn.metrics.cohen_kappa_score(y_true, y_pred, weights=…, labels=range(k))` from a k×k
 * confusion matrix (rows = truth), with sklearn's order of operations:
 * `1 - sum(w * confusion) / sum(w * outer(pred_counts, true_counts) / n)`.
 *
 * Edge case: the denominator (weighted expected disagreement) is 0 only when every true label
 * and every prediction is one and the same class — then agreement is perfect, and this returns
 * 1 where sklearn returns NaN (0/0), which would not survive JSON. An empty matrix throws.
 */
export function cohenKappaFromConfusion(cm: readonly (readonly number[])[], weights?: KappaWeights): number {
  checkConfusion(cm);
  const k = cm.length;
  const n = confusionTotal(cm);
  if (n === 0) throw new Error("metrics: Cohen's kappa needs at least one sample");
  const predCounts = new Array<number>(k).fill(0); // sklearn's sum0 (column sums)
  const trueCounts = new Array<number>(k).fill(0); // sklearn's sum1 (row sums)
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      predCounts[j]! += cm[i]![j]!;
      trueCounts[i]! += cm[i]![j]!;
    }
  }
  let observed = 0; // integer counts times integer weights: exact
  const expected: number[] = []; // row-major, as np.sum walks w_mat * expected
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const w = weight(i, j, weights);
      observed += w * cm[i]![j]!;
      expected.push(w * ((predCounts[i]! * trueCounts[j]!) / n));
    }
  }
  const expectedDisagreement = numpySum(expected);
  if (expectedDisagreement === 0) return 1; // single class everywhere: perfect agreement (see above)
  return 1 - observed / expectedDisagreement;
}

/** `sklearn.metrics.cohen_kappa_score(y_true, y_pred, weights=weights, labels=range(k))`. */
export function cohenKappa(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  k: number,
  weights?: KappaWeights,
): number {
  return cohenKappaFromConfusion(confusionMatrix(yTrue, yPred, k), weights);
}

/** All three kappas from one confusion matrix. */
export function kappasFromConfusion(cm: readonly (readonly number[])[]): Kappa {
  return {
    unweighted: cohenKappaFromConfusion(cm),
    linear: cohenKappaFromConfusion(cm, 'linear'),
    quadratic: cohenKappaFromConfusion(cm, 'quadratic'),
  };
}
