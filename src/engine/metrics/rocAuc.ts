import { numpyMean, numpySum } from './numpySum.js';
import { checkClassCount, checkLabels, checkProbabilities } from './validate.js';

/**
 * `sklearn.metrics.roc_auc_score(y_true, y_score)` for one binary problem: `isPositive[i]` is
 * 1 (or true) for a positive sample, 0 (or false) otherwise. Follows sklearn's `roc_curve`
 * (one ROC point per distinct score, so tied scores form one diagonal step — ties count half —
 * and collinear points dropped) then `auc` (trapezoid rule, numpy's summation order).
 *
 * Returns null when y_true holds only one class (all positive or all negative), where the
 * AUC is undefined (sklearn raises "Only one class present in y_true").
 */
export function binaryRocAuc(isPositive: ArrayLike<number | boolean>, scores: ArrayLike<number>): number | null {
  const n = isPositive.length;
  if (scores.length !== n) throw new Error(`metrics: ${n} binary labels but ${scores.length} scores`);
  const positive: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = isPositive[i];
    if (v === true || v === 1) positive.push(1);
    else if (v === false || v === 0) positive.push(0);
    else throw new Error(`metrics: binary label [${i}] = ${String(v)} is not 0/1`);
    if (!Number.isFinite(scores[i])) throw new Error(`metrics: score [${i}] = ${scores[i]} is not a finite number`);
  }
  let positives = 0;
  for (const p of positive) positives += p;
  if (positives === 0 || positives === n) return null;

  // Descending score; the order inside a run of equal scores does not matter, because only
  // the cumulative counts at the end of each run become ROC points.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let fps: number[] = [];
  let tps: number[] = [];
  let tp = 0;
  for (let r = 0; r < n; r++) {
    tp += positive[order[r]!]!;
    const lastOfRun = r === n - 1 || scores[order[r]!] !== scores[order[r + 1]!];
    if (lastOfRun) {
      tps.push(tp);
      fps.push(r + 1 - tp);
    }
  }

  // roc_curve(drop_intermediate=True): keep the ends and every point where the curve bends.
  if (fps.length > 2) {
    const keep = (i: number): boolean =>
      i === 0 ||
      i === fps.length - 1 ||
      fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 ||
      tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
    const idx = fps.map((_, i) => i).filter(keep);
    fps = idx.map((i) => fps[i]!);
    tps = idx.map((i) => tps[i]!);
  }
  fps.unshift(0);
  tps.unshift(0);
  const fpr = fps.map((f) => f / fps[fps.length - 1]!);
  const tpr = tps.map((t) => t / tps[tps.length - 1]!);

  // np.trapz(tpr, fpr): sum of dx * (y[i+1] + y[i]) / 2.0; fpr never decreases, so no sign flip.
  const areas: number[] = [];
  for (let i = 0; i + 1 < fpr.length; i++) areas.push(((fpr[i + 1]! - fpr[i]!) * (tpr[i + 1]! + tpr[i]!)) / 2);
  return numpySum(areas);
}

/** One-vs-rest ROC AUC of each class and their macro average. */
export interface OvrAuc {
  /**
   * K ≥ 3: mean of the per-class AUCs that are defined (see `perClass`); null when none is.
   * K = 2: sklearn's binary convention, `roc_auc_score(y_true, proba[:, 1])` (= perClass[1]).
   * K = 1: null.
   */
  macro: number | null;
  /** AUC of "class c vs the rest" from column c; null where class c is absent from y_true or is all of it. */
  perClass: (number | null)[];
}

/**
 * `sklearn.metrics.roc_auc_score(y_true, proba, multi_class='ovr', average='macro',
 * labels=range(K))` from n rows of K class scores.
 *
 * Where sklearn raises, this degrades instead: a class absent from y_true (or the only class in
 * it) has no OvR AUC, so its entry is null and the macro average is taken over the classes
 * where it is defined; with one class in y_true, every entry and the macro are null. Rows
 * need not sum to 1 (sklearn insists on it; the OvR AUC of column c only depends on its ranking).
 * When every class is present the result equals sklearn's.
 */
export function rocAucOvr(yTrue: ArrayLike<number>, probabilities: ArrayLike<ArrayLike<number>>, k: number): OvrAuc {
  checkClassCount(k);
  checkLabels(yTrue, k, 'yTrue');
  checkProbabilities(probabilities, yTrue.length, k);
  const perClass: (number | null)[] = [];
  for (let c = 0; c < k; c++) {
    const isC = Array.from({ length: yTrue.length }, (_, i) => (yTrue[i] === c ? 1 : 0));
    const column = Array.from({ length: yTrue.length }, (_, i) => probabilities[i]![c]!);
    perClass.push(binaryRocAuc(isC, column));
  }
  if (k === 2) return { macro: perClass[1]!, perClass };
  const defined = perClass.filter((a): a is number => a !== null);
  return { macro: defined.length === 0 ? null : numpyMean(defined), perClass };
}
