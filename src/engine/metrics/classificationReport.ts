import { accuracyFromConfusion, confusionMatrix, confusionTotal } from './confusion.js';
import { numpyMean, numpySum } from './numpySum.js';
import { pythonFixed, pythonRight } from './pythonFormat.js';
import { checkConfusion } from './validate.js';

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** What `sklearn.metrics.classification_report(..., labels=range(K))` reports, as numbers. */
export interface ClassificationReport {
  /** One entry per class, in class-index order (every class, even one absent from the data). */
  perClass: { name: string; precision: number; recall: number; f1: number; support: number }[];
  /** Unweighted mean over all K classes (absent classes count, with their zeros). */
  macro: ClassScores;
  /** Mean over all K classes weighted by support (true count); support = sample count. */
  weighted: ClassScores;
  accuracy: number;
}

/**
 * sklearn's `_prf_divide` with `zero_division=0` (the value `"warn"` also gives): a ratio whose
 * denominator is 0 (a class never predicted, or never true) is 0, not NaN.
 */
function ratioOrZero(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

/**
 * F1 exactly as sklearn 1.2 computes it from precision and recall:
 * `(1 + beta²) * p * r / (beta² * p + r)` with a zero denominator replaced by 1 (so F1 = 0).
 * (sklearn ≥ 1.3 computes it from counts instead, which can differ in the last bit.)
 */
export function f1Score(precision: number, recall: number): number {
  let denom = precision + recall;
  if (denom === 0) denom = 1;
  return (2 * precision * recall) / denom;
}

/**
 * `precision_recall_fscore_support(average=None)` plus the macro and weighted rows and accuracy
 * of `classification_report(labels=range(K))`, from a K×K confusion matrix (rows = truth).
 * `classes` names the classes in index order. Throws on an empty matrix.
 */
export function classificationReportFromConfusion(
  cm: readonly (readonly number[])[],
  classes: readonly string[],
): ClassificationReport {
  checkConfusion(cm);
  const k = cm.length;
  if (classes.length !== k) throw new Error(`metrics: ${classes.length} class names for ${k} classes`);
  const n = confusionTotal(cm);
  if (n === 0) throw new Error('metrics: a classification report needs at least one sample');

  const perClass = classes.map((name, c) => {
    let predicted = 0;
    let support = 0;
    for (let i = 0; i < k; i++) predicted += cm[i]![c]!;
    for (let j = 0; j < k; j++) support += cm[c]![j]!;
    const tp = cm[c]![c]!;
    const precision = ratioOrZero(tp, predicted);
    const recall = ratioOrZero(tp, support);
    return { name, precision, recall, f1: f1Score(precision, recall), support };
  });

  const column = (key: 'precision' | 'recall' | 'f1'): number[] => perClass.map((s) => s[key]);
  // np.average(x, weights=support) = sum(x * support) / sum(support); support sums to n > 0.
  const weightedMean = (key: 'precision' | 'recall' | 'f1'): number =>
    numpySum(perClass.map((s) => s[key] * s.support)) / n;

  return {
    perClass,
    macro: { precision: numpyMean(column('precision')), recall: numpyMean(column('recall')), f1: numpyMean(column('f1')), support: n },
    weighted: { precision: weightedMean('precision'), recall: weightedMean('recall'), f1: weightedMean('f1'), support: n },
    accuracy: accuracyFromConfusion(cm),
  };
}

/** `classification_report(y_true, y_pred, labels=range(K), target_names=classes)` as numbers. */
export function classificationReport(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  classes: readonly string[],
): ClassificationReport {
  return classificationReportFromConfusion(confusionMatrix(yTrue, yPred, classes.length), classes);
}

/**
 * Text of `sklearn.metrics.classification_report(y_true, y_pred, labels=range(K),
 * target_names=classes, digits=digits)` for a multiclass or binary report, character for
 * character (its "accuracy" row shows the micro F1, which is the accuracy).
 */
export function formatClassificationReport(report: ClassificationReport, digits = 3): string {
  const names = report.perClass.map((c) => c.name);
  const width = Math.max(...names.map((s) => [...s].length), 'weighted avg'.length, digits);
  const num = (x: number): string => ' ' + pythonRight(pythonFixed(x, digits), 9);
  const row = (name: string, s: { precision: number; recall: number; f1: number; support: number }): string =>
    `${pythonRight(name, width)} ${num(s.precision)}${num(s.recall)}${num(s.f1)} ${pythonRight(String(s.support), 9)}\n`;

  let text = `${pythonRight('', width)} ${['precision', 'recall', 'f1-score', 'support'].map((h) => ' ' + pythonRight(h, 9)).join('')}\n\n`;
  for (const c of report.perClass) text += row(c.name, c);
  text += '\n';
  const n = report.macro.support;
  // micro precision = micro recall = accuracy; sklearn prints their F1 in the accuracy row.
  text += `${pythonRight('accuracy', width)} ${' '.repeat(20)}${num(f1Score(report.accuracy, report.accuracy))} ${pythonRight(String(n), 9)}\n`;
  text += row('macro avg', report.macro);
  text += row('weighted avg', report.weighted);
  return text;
}
