import { classificationReportFromConfusion, type ClassificationReport } from './classificationReport.js';
import { accuracyFromConfusion, confusionMatrix } from './confusion.js';
import { kappasFromConfusion, type Kappa } from './kappa.js';
import { rocAucOvr } from './rocAuc.js';
import { checkProbabilities } from './validate.js';

/** Everything the app reports about a set of predictions; each number matches scikit-learn 1.2. */
export interface Metrics {
  classes: string[];
  count: number;
  /** `accuracy_score` */
  accuracy: number;
  /** `cohen_kappa_score(weights=None|'linear'|'quadratic', labels=range(K))`; 1 when all labels are one class. */
  kappa: Kappa;
  /** `confusion_matrix(labels=range(K))`: rows = true class, cols = predicted, all K classes in index order. */
  confusionMatrix: number[][];
  /** `classification_report(labels=range(K))` with zero_division=0. */
  report: ClassificationReport;
  /** One-vs-rest macro ROC AUC from probabilities; null when undefined (see `rocAucOvr`). */
  auc: number | null;
  /** OvR AUC of each class; null for a class absent from the truth (or the only class in it). */
  aucPerClass: (number | null)[];
}

/**
 * All metrics for class-index predictions `yPred` against `yTrue`, with `probabilities` n rows of
 * K scores (for the AUC) and `classes` the K class names in index order. Throws a plain Error on
 * mismatched lengths, labels outside 0..K-1, probability rows not of length K or not finite,
 * or no samples at all.
 */
export function evaluate(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  probabilities: ArrayLike<number>[],
  classes: string[],
): Metrics {
  const k = classes.length;
  const cm = confusionMatrix(yTrue, yPred, k); // validates the labels
  checkProbabilities(probabilities, yTrue.length, k);
  if (yTrue.length === 0) throw new Error('metrics: evaluate needs at least one sample');
  const auc = rocAucOvr(yTrue, probabilities, k);
  return {
    classes: [...classes],
    count: yTrue.length,
    accuracy: accuracyFromConfusion(cm),
    kappa: kappasFromConfusion(cm),
    confusionMatrix: cm,
    report: classificationReportFromConfusion(cm, classes),
    auc: auc.macro,
    aucPerClass: auc.perClass,
  };
}
