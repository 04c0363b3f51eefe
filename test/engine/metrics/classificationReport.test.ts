import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classificationReport,
  classificationReportFromConfusion,
  formatClassificationReport,
} from '../../../src/engine/metrics/classificationReport.js';
import { ABSENT_FROM_TRUTH, BINARY, DR5, NEVER_PREDICTED, TIES, type MetricCase } from './fixtures.js';
import { assertAllClose, assertClose } from './assertClose.js';

// Expected values, scikit-learn 1.2.1, L = range(K), on the fixtures:
//   precision/recall/f1/support: precision_recall_fscore_support(y_true, y_pred, labels=L, zero_division=0)
//   macro / weighted:            precision_recall_fscore_support(..., labels=L, average='macro'|'weighted', zero_division=0)[:3]
//   text3 / text2:               classification_report(y_true, y_pred, labels=L, target_names=classes, digits=3|2, zero_division=0)
interface Expected {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macro: [number, number, number];
  weighted: [number, number, number];
  accuracy: number;
  text3: string;
  text2: string;
}

const expected: [string, MetricCase, Expected][] = [
  ['DR5', DR5, {
    precision: [1, 0.5, 0.75, 0.5, 0.5],
    recall: [0.8235294117647058, 0.8333333333333334, 0.6666666666666666, 0.6, 0.3333333333333333],
    f1: [0.9032258064516129, 0.625, 0.7058823529411765, 0.5454545454545454, 0.4],
    support: [17, 6, 9, 5, 3],
    macro: [0.65, 0.6513725490196078, 0.635912540969467],
    weighted: [0.76875, 0.725, 0.7346263153355183],
    accuracy: 0.725,
    text3: '               precision    recall  f1-score   support\n\n        No DR      1.000     0.824     0.903        17\n         Mild      0.500     0.833     0.625         6\n     Moderate      0.750     0.667     0.706         9\n       Severe      0.500     0.600     0.545         5\nProliferative      0.500     0.333     0.400         3\n\n     accuracy                          0.725        40\n    macro avg      0.650     0.651     0.636        40\n weighted avg      0.769     0.725     0.735        40\n',
    text2: '               precision    recall  f1-score   support\n\n        No DR       1.00      0.82      0.90        17\n         Mild       0.50      0.83      0.62         6\n     Moderate       0.75      0.67      0.71         9\n       Severe       0.50      0.60      0.55         5\nProliferative       0.50      0.33      0.40         3\n\n     accuracy                           0.73        40\n    macro avg       0.65      0.65      0.64        40\n weighted avg       0.77      0.72      0.73        40\n',
  }],
  ['TIES', TIES, {
    precision: [0.6666666666666666, 0.6666666666666666, 0.6666666666666666],
    recall: [0.8, 0.5, 0.6666666666666666],
    f1: [0.7272727272727272, 0.5714285714285715, 0.6666666666666666],
    support: [5, 4, 3],
    macro: [0.6666666666666666, 0.6555555555555556, 0.6551226551226551],
    weighted: [0.6666666666666666, 0.6666666666666666, 0.6601731601731601],
    accuracy: 0.6666666666666666,
    text3: '              precision    recall  f1-score   support\n\n           a      0.667     0.800     0.727         5\n           b      0.667     0.500     0.571         4\n           c      0.667     0.667     0.667         3\n\n    accuracy                          0.667        12\n   macro avg      0.667     0.656     0.655        12\nweighted avg      0.667     0.667     0.660        12\n',
    text2: '              precision    recall  f1-score   support\n\n           a       0.67      0.80      0.73         5\n           b       0.67      0.50      0.57         4\n           c       0.67      0.67      0.67         3\n\n    accuracy                           0.67        12\n   macro avg       0.67      0.66      0.66        12\nweighted avg       0.67      0.67      0.66        12\n',
  }],
  // 'moderate' is never predicted: precision 0/0 → 0 (zero_division=0), F1 0, and it still counts in the macro.
  ['NEVER_PREDICTED', NEVER_PREDICTED, {
    precision: [0.125, 0.6666666666666666, 0, 0.75],
    recall: [1, 0.2857142857142857, 0, 0.75],
    f1: [0.2222222222222222, 0.4, 0, 0.75],
    support: [1, 7, 3, 4],
    macro: [0.38541666666666663, 0.5089285714285714, 0.34305555555555556],
    weighted: [0.5194444444444444, 0.4, 0.4014814814814815],
    accuracy: 0.4,
    text3: '              precision    recall  f1-score   support\n\n        none      0.125     1.000     0.222         1\n        mild      0.667     0.286     0.400         7\n    moderate      0.000     0.000     0.000         3\n      severe      0.750     0.750     0.750         4\n\n    accuracy                          0.400        15\n   macro avg      0.385     0.509     0.343        15\nweighted avg      0.519     0.400     0.401        15\n',
    // 'none' precision 0.125 prints as 0.12 (Python rounds the exact tie to even).
    text2: '              precision    recall  f1-score   support\n\n        none       0.12      1.00      0.22         1\n        mild       0.67      0.29      0.40         7\n    moderate       0.00      0.00      0.00         3\n      severe       0.75      0.75      0.75         4\n\n    accuracy                           0.40        15\n   macro avg       0.39      0.51      0.34        15\nweighted avg       0.52      0.40      0.40        15\n',
  }],
  // 'z' is absent from the truth: recall 0/0 → 0, support 0; it still counts in the macro.
  ['ABSENT_FROM_TRUTH', ABSENT_FROM_TRUTH, {
    precision: [0.8333333333333334, 1, 1, 0],
    recall: [1, 0.5, 0.8, 0],
    f1: [0.9090909090909091, 0.6666666666666666, 0.888888888888889, 0],
    support: [5, 4, 5, 0],
    macro: [0.7083333333333334, 0.575, 0.6161616161616161],
    weighted: [0.9404761904761906, 0.7857142857142857, 0.8326118326118326],
    accuracy: 0.7857142857142857,
    text3: '              precision    recall  f1-score   support\n\n           w      0.833     1.000     0.909         5\n           x      1.000     0.500     0.667         4\n           y      1.000     0.800     0.889         5\n           z      0.000     0.000     0.000         0\n\n    accuracy                          0.786        14\n   macro avg      0.708     0.575     0.616        14\nweighted avg      0.940     0.786     0.833        14\n',
    text2: '              precision    recall  f1-score   support\n\n           w       0.83      1.00      0.91         5\n           x       1.00      0.50      0.67         4\n           y       1.00      0.80      0.89         5\n           z       0.00      0.00      0.00         0\n\n    accuracy                           0.79        14\n   macro avg       0.71      0.57      0.62        14\nweighted avg       0.94      0.79      0.83        14\n',
  }],
  ['BINARY', BINARY, {
    precision: [0.7, 0.75],
    recall: [0.875, 0.5],
    f1: [0.7777777777777777, 0.6],
    support: [8, 6],
    macro: [0.725, 0.6875, 0.6888888888888889],
    weighted: [0.7214285714285714, 0.7142857142857143, 0.7015873015873015],
    accuracy: 0.7142857142857143,
    text3: '              precision    recall  f1-score   support\n\n     healthy      0.700     0.875     0.778         8\n     disease      0.750     0.500     0.600         6\n\n    accuracy                          0.714        14\n   macro avg      0.725     0.688     0.689        14\nweighted avg      0.721     0.714     0.702        14\n',
    text2: '              precision    recall  f1-score   support\n\n     healthy       0.70      0.88      0.78         8\n     disease       0.75      0.50      0.60         6\n\n    accuracy                           0.71        14\n   macro avg       0.72      0.69      0.69        14\nweighted avg       0.72      0.71      0.70        14\n',
  }],
];

for (const [name, c, e] of expected) {
  test(`classification report matches scikit-learn: ${name}`, () => {
    const r = classificationReport(c.yTrue, c.yPred, c.classes);
    assert.deepEqual(r.perClass.map((p) => p.name), c.classes);
    assertAllClose(r.perClass.map((p) => p.precision), e.precision, 'precision');
    assertAllClose(r.perClass.map((p) => p.recall), e.recall, 'recall');
    assertAllClose(r.perClass.map((p) => p.f1), e.f1, 'f1');
    assert.deepEqual(r.perClass.map((p) => p.support), e.support);
    assertAllClose([r.macro.precision, r.macro.recall, r.macro.f1], e.macro, 'macro');
    assertAllClose([r.weighted.precision, r.weighted.recall, r.weighted.f1], e.weighted, 'weighted');
    assert.equal(r.macro.support, c.yTrue.length);
    assert.equal(r.weighted.support, c.yTrue.length);
    assertClose(r.accuracy, e.accuracy, 'accuracy');
  });

  test(`classification report text matches scikit-learn: ${name}`, () => {
    const r = classificationReport(c.yTrue, c.yPred, c.classes);
    assert.equal(formatClassificationReport(r), e.text3);
    assert.equal(formatClassificationReport(r, 3), e.text3);
    assert.equal(formatClassificationReport(r, 2), e.text2);
  });
}

test('classification report never holds NaN', () => {
  // Class 1 neither occurs nor is predicted; class 2 is predicted but never true.
  const r = classificationReport([0, 0, 0], [0, 2, 0], ['a', 'b', 'c']);
  for (const p of r.perClass) for (const v of [p.precision, p.recall, p.f1]) assert.ok(Number.isFinite(v), JSON.stringify(p));
  assert.deepEqual(r.perClass[1], { name: 'b', precision: 0, recall: 0, f1: 0, support: 0 });
  assert.deepEqual(r.perClass[2], { name: 'c', precision: 0, recall: 0, f1: 0, support: 0 });
});

test('classification report rejects bad input', () => {
  assert.throws(() => classificationReport([], [], ['a', 'b']), /at least one sample/);
  assert.throws(() => classificationReport([0, 2], [0, 1], ['a', 'b']), /yTrue\[1\] = 2/);
  assert.throws(() => classificationReportFromConfusion([[1, 0], [0, 1]], ['a']), /1 class names for 2 classes/);
});
