import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, accuracyFromConfusion, confusionMatrix } from '../../../src/engine/metrics/confusion.js';
import { ABSENT_FROM_TRUTH, BINARY, DR5, NEVER_PREDICTED, TIES, type MetricCase } from './fixtures.js';
import { assertClose } from './assertClose.js';

// Expected values: sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(K)).tolist()
// and sklearn.metrics.accuracy_score(y_true, y_pred), scikit-learn 1.2.1, on the fixtures.
const expected: [string, MetricCase, number[][], number][] = [
  ['DR5', DR5, [[14, 3, 0, 0, 0], [0, 5, 1, 0, 0], [0, 2, 6, 1, 0], [0, 0, 1, 3, 1], [0, 0, 0, 2, 1]], 0.725],
  ['TIES', TIES, [[4, 1, 0], [1, 2, 1], [1, 0, 2]], 0.6666666666666666],
  ['NEVER_PREDICTED', NEVER_PREDICTED, [[1, 0, 0, 0], [4, 2, 0, 1], [2, 1, 0, 0], [1, 0, 0, 3]], 0.4],
  ['ABSENT_FROM_TRUTH', ABSENT_FROM_TRUTH, [[5, 0, 0, 0], [1, 2, 0, 1], [0, 0, 4, 1], [0, 0, 0, 0]], 0.7857142857142857],
  ['BINARY', BINARY, [[7, 1], [3, 3]], 0.7142857142857143],
];

for (const [name, c, cm, acc] of expected) {
  test(`confusion matrix and accuracy match scikit-learn: ${name}`, () => {
    const k = c.classes.length;
    assert.deepEqual(confusionMatrix(c.yTrue, c.yPred, k), cm);
    assertClose(accuracy(c.yTrue, c.yPred, k), acc, 'accuracy_score');
    assertClose(accuracyFromConfusion(cm), acc, 'accuracy from the matrix');
  });
}

test('confusion matrix: rows are truth, columns predictions, all K classes even if absent', () => {
  assert.deepEqual(confusionMatrix([0, 0, 1], [1, 1, 1], 4), [
    [0, 2, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(confusionMatrix(new Int32Array([2]), new Float32Array([0]), 3), [[0, 0, 0], [0, 0, 0], [1, 0, 0]]);
  assert.deepEqual(confusionMatrix([], [], 2), [[0, 0], [0, 0]]);
});

test('confusion matrix rejects bad input with a clear message', () => {
  assert.throws(() => confusionMatrix([0, 1], [0], 2), /yTrue has 2 labels but yPred has 1/);
  assert.throws(() => confusionMatrix([0, 2], [0, 1], 2), /yTrue\[1\] = 2 is not a class index in 0\.\.1/);
  assert.throws(() => confusionMatrix([0, 1], [-1, 1], 2), /yPred\[0\] = -1 is not a class index/);
  assert.throws(() => confusionMatrix([0, 0.5], [0, 1], 2), /yTrue\[1\] = 0\.5 is not a class index/);
  assert.throws(() => confusionMatrix([0, NaN], [0, 1], 2), /yTrue\[1\] = NaN/);
  assert.throws(() => confusionMatrix([0], [0], 0), /class count must be an integer ≥ 1/);
});

test('accuracy of no samples throws (sklearn returns NaN)', () => {
  assert.throws(() => accuracy([], [], 3), /at least one sample/);
  assert.throws(() => accuracyFromConfusion([[1, 0], [0]]), /row 1 has 1 entries, expected 2/);
});
