import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryRocAuc, rocAucOvr } from '../../../src/engine/metrics/rocAuc.js';
import { ABSENT_FROM_TRUTH, BINARY, DR5, TIES, type MetricCase } from './fixtures.js';
import { assertAllClose, assertClose } from './assertClose.js';

// Expected values, scikit-learn 1.2.1, on the fixtures (P = np.array(proba), L = range(K)):
//   perClass[k]: roc_auc_score(y_true == k, P[:, k]) (null where sklearn raises "Only one class present")
//   macro, K ≥ 3, every class present: roc_auc_score(y_true, P, multi_class='ovr', average='macro', labels=L)
//   macro, K ≥ 3, a class absent:      np.mean of the defined perClass values (sklearn raises here)
//   macro, K = 2:                       roc_auc_score(y_true, P[:, 1])
const expected: [string, MetricCase, number, (number | null)[]][] = [
  ['DR5', DR5, 0.9203438409593018, [0.9654731457800512, 0.803921568627451, 0.924731182795699, 0.9571428571428572, 0.9504504504504504]],
  ['TIES', TIES, 0.803450176366843, [0.8142857142857143, 0.78125, 0.8148148148148148]],
  ['ABSENT_FROM_TRUTH', ABSENT_FROM_TRUTH, 0.9430555555555555, [0.9777777777777777, 0.8625, 0.9888888888888889, null]],
  ['BINARY', BINARY, 0.84375, [0.84375, 0.84375]],
];

for (const [name, c, macro, perClass] of expected) {
  test(`one-vs-rest ROC AUC matches scikit-learn: ${name}`, () => {
    const auc = rocAucOvr(c.yTrue, c.proba!, c.classes.length);
    assertClose(auc.macro, macro, 'macro');
    assertAllClose(auc.perClass, perClass, 'perClass');
  });
}

test('binary ROC AUC: ties count half, as sklearn', () => {
  assertClose(binaryRocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5, 'roc_auc_score([0,1,0,1], [.5,.5,.5,.5])');
  assertClose(binaryRocAuc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]), 1.0, 'roc_auc_score([0,0,1,1], [.1,.2,.3,.4])');
  assertClose(binaryRocAuc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]), 0.0, 'roc_auc_score([0,0,1,1], [.4,.3,.2,.1])');
  assertClose(binaryRocAuc([false, true, true], [0.3, 0.3, 0.9]), 0.75, 'roc_auc_score([0,1,1], [.3,.3,.9])');
});

test("binary ROC AUC follows sklearn's trapezoid arithmetic to the bit", () => {
  // roc_auc_score([0,1,1,0,1], [0.2,0.2,0.9,0.9,0.5]) is 0.49999999999999994, not 0.5: the
  // rank formula would give 0.5 exactly. Exact on purpose: it pins the curve-and-trapezoid route.
  assert.equal(binaryRocAuc([0, 1, 1, 0, 1], [0.2, 0.2, 0.9, 0.9, 0.5]), 0.49999999999999994);
});

test('ROC AUC is null where undefined (sklearn raises)', () => {
  assert.equal(binaryRocAuc([1, 1, 1], [0.1, 0.2, 0.3]), null);
  assert.equal(binaryRocAuc([0, 0], [0.1, 0.2]), null);
  // Only one class in y_true: no class has an OvR AUC.
  const one = rocAucOvr([2, 2, 2], [[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.6, 0.2, 0.2]], 3);
  assert.deepEqual(one, { macro: null, perClass: [null, null, null] });
  // K = 1.
  assert.deepEqual(rocAucOvr([0, 0], [[1], [1]], 1), { macro: null, perClass: [null] });
});

test('K = 2 uses the positive-class column, like roc_auc_score(y, P[:, 1])', () => {
  // Column 0 deliberately not 1 − column 1: column 0 ranks perfectly, column 1 does not.
  const auc = rocAucOvr([0, 0, 1, 1], [[0.9, 0.3], [0.8, 0.6], [0.1, 0.5], [0.2, 0.7]], 2);
  assertClose(auc.macro, 0.75, 'roc_auc_score([0,0,1,1], [.3,.6,.5,.7])');
  assertAllClose(auc.perClass, [1.0, 0.75], 'perClass');
});

test('ROC AUC rejects bad input', () => {
  assert.throws(() => rocAucOvr([0, 1], [[0.5, 0.5]], 2), /2 labels but 1 probability rows/);
  assert.throws(() => rocAucOvr([0, 1], [[0.5, 0.5], [1]], 2), /probabilities\[1\] has 1 values, expected 2/);
  assert.throws(() => rocAucOvr([0, 1], [[0.5, 0.5], [NaN, 1]], 2), /probabilities\[1\]\[0\] = NaN is not a finite number/);
  assert.throws(() => rocAucOvr([0, 5], [[0.5, 0.5], [0.5, 0.5]], 2), /yTrue\[1\] = 5/);
  assert.throws(() => binaryRocAuc([0, 2], [0.1, 0.2]), /binary label \[1\] = 2 is not 0\/1/);
  assert.throws(() => binaryRocAuc([0, 1], [0.1]), /2 binary labels but 1 scores/);
  assert.throws(() => binaryRocAuc([0, 1], [0.1, Infinity]), /score \[1\] = Infinity/);
});
