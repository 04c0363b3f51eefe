import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cohenKappa, cohenKappaFromConfusion, kappasFromConfusion } from '../../../src/engine/metrics/kappa.js';
import { confusionMatrix } from '../../../src/engine/metrics/confusion.js';
import { ABSENT_FROM_TRUTH, BINARY, DR5, NEVER_PREDICTED, TIES, type MetricCase } from './fixtures.js';
import { assertClose } from './assertClose.js';

// Expected values: [cohen_kappa_score(y_true, y_pred, labels=range(K), weights=w)
//                   for w in (None, 'linear', 'quadratic')], scikit-learn 1.2.1, on the fixtures.
const expected: [string, MetricCase, [number, number, number]][] = [
  ['DR5', DR5, [0.6314907872696817, 0.8035714285714286, 0.915644171779141]],
  ['TIES', TIES, [0.4838709677419355, 0.5238095238095238, 0.5625]],
  ['NEVER_PREDICTED', NEVER_PREDICTED, [0.25, 0.33544303797468367, 0.40909090909090906]],
  ['ABSENT_FROM_TRUTH', ABSENT_FROM_TRUTH, [0.6956521739130435, 0.7407407407407407, 0.7857142857142857]],
  ['BINARY', BINARY, [0.3913043478260869, 0.3913043478260869, 0.3913043478260869]],
];

for (const [name, c, [unweighted, linear, quadratic]] of expected) {
  test(`Cohen's kappa matches scikit-learn: ${name}`, () => {
    const k = c.classes.length;
    assertClose(cohenKappa(c.yTrue, c.yPred, k), unweighted, 'weights=None');
    assertClose(cohenKappa(c.yTrue, c.yPred, k, 'linear'), linear, "weights='linear'");
    assertClose(cohenKappa(c.yTrue, c.yPred, k, 'quadratic'), quadratic, "weights='quadratic'");
    const all = kappasFromConfusion(confusionMatrix(c.yTrue, c.yPred, k));
    assertClose(all.unweighted, unweighted, 'kappasFromConfusion.unweighted');
    assertClose(all.linear, linear, 'kappasFromConfusion.linear');
    assertClose(all.quadratic, quadratic, 'kappasFromConfusion.quadratic');
  });
}

test('kappa of complete disagreement: cohen_kappa_score([0,0,1,1], [1,1,0,0]) = -1.0', () => {
  assertClose(cohenKappa([0, 0, 1, 1], [1, 1, 0, 0], 2), -1.0, 'weights=None');
});

test('kappa is 1 (sklearn: NaN) when truth and predictions are all one class', () => {
  // sklearn: cohen_kappa_score([1,1,1], [1,1,1], labels=range(3)) is nan (0/0) for every weighting.
  // Agreement is perfect there, and NaN would not survive JSON, so we pin 1.
  for (const w of [undefined, 'linear', 'quadratic'] as const) {
    assert.equal(cohenKappa([1, 1, 1], [1, 1, 1], 3, w), 1, String(w));
  }
  assert.equal(cohenKappa([0], [0], 1), 1, 'a single class');
  // With any disagreement at all the denominator is not 0 and the usual formula applies.
  assertClose(cohenKappa([1, 1, 1], [1, 1, 0], 3), 0, 'cohen_kappa_score([1,1,1],[1,1,0]) = 0.0');
});

test('kappa rejects bad input', () => {
  assert.throws(() => cohenKappa([], [], 3), /at least one sample/);
  assert.throws(() => cohenKappa([0, 1], [0, 3], 3), /yPred\[1\] = 3/);
  assert.throws(() => cohenKappaFromConfusion([[1, -1], [0, 1]]), /\[0\]\[1\] = -1 is not a count/);
});
