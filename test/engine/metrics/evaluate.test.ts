import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate } from '../../../src/engine/metrics/evaluate.js';
import { ABSENT_FROM_TRUTH, DR5 } from './fixtures.js';
import { assertAllClose, assertClose } from './assertClose.js';

test('evaluate: every metric of the DR-like case matches scikit-learn', () => {
  const m = evaluate(DR5.yTrue, DR5.yPred, DR5.proba!, DR5.classes);
  assert.deepEqual(m.classes, DR5.classes);
  assert.equal(m.count, 40);
  assertClose(m.accuracy, 0.725, 'accuracy_score');
  // cohen_kappa_score(y_true, y_pred, labels=range(5), weights=None|'linear'|'quadratic')
  assertClose(m.kappa.unweighted, 0.6314907872696817, 'kappa');
  assertClose(m.kappa.linear, 0.8035714285714286, 'linear kappa');
  assertClose(m.kappa.quadratic, 0.915644171779141, 'quadratic kappa');
  // confusion_matrix(y_true, y_pred, labels=range(5))
  assert.deepEqual(m.confusionMatrix, [[14, 3, 0, 0, 0], [0, 5, 1, 0, 0], [0, 2, 6, 1, 0], [0, 0, 1, 3, 1], [0, 0, 0, 2, 1]]);
  // precision_recall_fscore_support(..., labels=range(5), average='macro'|'weighted', zero_division=0)
  assertAllClose([m.report.macro.precision, m.report.macro.recall, m.report.macro.f1], [0.65, 0.6513725490196078, 0.635912540969467], 'macro');
  assertAllClose([m.report.weighted.precision, m.report.weighted.recall, m.report.weighted.f1], [0.76875, 0.725, 0.7346263153355183], 'weighted');
  assertClose(m.report.accuracy, 0.725, 'report accuracy');
  // roc_auc_score(y_true, P, multi_class='ovr', average='macro', labels=range(5))
  assertClose(m.auc, 0.9203438409593018, 'auc');
  // roc_auc_score(y_true == k, P[:, k])
  assertAllClose(m.aucPerClass, [0.9654731457800512, 0.803921568627451, 0.924731182795699, 0.9571428571428572, 0.9504504504504504], 'aucPerClass');
});

test('evaluate: a class absent from the truth gets a null AUC and the macro skips it', () => {
  const m = evaluate(ABSENT_FROM_TRUTH.yTrue, ABSENT_FROM_TRUTH.yPred, ABSENT_FROM_TRUTH.proba!, ABSENT_FROM_TRUTH.classes);
  // np.mean([roc_auc_score(y_true == k, P[:, k]) for k in (0, 1, 2)]); sklearn's OvR call raises here.
  assertClose(m.auc, 0.9430555555555555, 'auc');
  assert.equal(m.aucPerClass[3], null);
  assert.deepEqual(m.confusionMatrix[3], [0, 0, 0, 0]);
});

test('evaluate: one class everywhere gives JSON-safe numbers (kappa 1, AUC null)', () => {
  const m = evaluate([1, 1], [1, 1], [[0.1, 0.9], [0.2, 0.8]], ['neg', 'pos']);
  assert.deepEqual(m.kappa, { unweighted: 1, linear: 1, quadratic: 1 });
  assert.equal(m.auc, null);
  assert.deepEqual(m.aucPerClass, [null, null]);
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m, 'no NaN or Infinity (they would turn into null)');
});

test('evaluate accepts typed arrays', () => {
  const m = evaluate(new Int32Array([0, 1, 1]), new Uint8Array([0, 1, 0]), [new Float32Array([0.75, 0.25]), new Float32Array([0.25, 0.75]), new Float32Array([0.5, 0.5])], ['a', 'b']);
  assertClose(m.accuracy, 2 / 3, 'accuracy');
  assertClose(m.auc, 1, 'roc_auc_score([0,1,1], [.25,.75,.5])');
});

test('evaluate rejects bad input with a clear message', () => {
  const p = [[0.5, 0.5], [0.5, 0.5]];
  assert.throws(() => evaluate([0, 1], [0], p, ['a', 'b']), /yTrue has 2 labels but yPred has 1/);
  assert.throws(() => evaluate([0, 2], [0, 1], p, ['a', 'b']), /yTrue\[1\] = 2 is not a class index in 0\.\.1/);
  assert.throws(() => evaluate([0, 1], [0, 1], [[0.5, 0.5]], ['a', 'b']), /2 labels but 1 probability rows/);
  assert.throws(() => evaluate([0, 1], [0, 1], [[0.5, 0.5], [0.2, 0.3, 0.5]], ['a', 'b']), /probabilities\[1\] has 3 values, expected 2/);
  assert.throws(() => evaluate([0, 1], [0, 1], p, []), /class count must be an integer ≥ 1/);
  assert.throws(() => evaluate([], [], [], ['a', 'b']), /at least one sample/);
});
