import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numpyMean, numpySum } from '../../../src/engine/metrics/numpySum.js';

// Exact (===) on purpose: the module exists to reproduce numpy's summation order bit for bit.
// Each expected value is repr(np.sum(np.array(a))) / repr(np.mean(...)) from numpy 1.24.2; the
// naive left-to-right sum differs in every case, so a plain loop would fail these.
const naive = (a: number[]): number => a.reduce((s, x) => s + x, 0);

test('numpySum: 8-way partial sums below 128 items', () => {
  const a = [1e16, ...new Array<number>(8).fill(1)];
  assert.equal(numpySum(a), 1.0000000000000008e16); // np.sum
  assert.equal(naive(a), 1e16);
  assert.equal(numpyMean(a), 1111111111111112.0); // np.mean
});

test('numpySum: halves recursively above 128 items', () => {
  const a = [1e16, ...new Array<number>(199).fill(1)];
  assert.equal(numpySum(a), 1.0000000000000188e16); // np.sum
  assert.equal(numpyMean(a), 50000000000000.94); // np.mean
});

test('numpySum: ten times 0.1', () => {
  const a = new Array<number>(10).fill(0.1);
  assert.equal(numpySum(a), 1.0); // np.sum
  assert.equal(naive(a), 0.9999999999999999);
});

test('numpySum: short arrays are summed left to right', () => {
  assert.equal(numpySum([1e16, 1, 1, 1]), 1e16); // np.sum (math.fsum would give 1.0000000000000004e16)
  assert.equal(numpySum([]), 0);
});
