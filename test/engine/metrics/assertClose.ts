import assert from 'node:assert/strict';

/** Asserts |actual − expected| ≤ tol (default 1e-12); null must match null exactly. */
export function assertClose(actual: number | null, expected: number | null, message: string, tol = 1e-12): void {
  if (expected === null || actual === null) {
    assert.equal(actual, expected, message);
    return;
  }
  assert.ok(Number.isFinite(actual), `${message}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${message}: got ${actual}, scikit-learn says ${expected}`);
}

/** assertClose over two arrays of the same length. */
export function assertAllClose(actual: readonly (number | null)[], expected: readonly (number | null)[], message: string): void {
  assert.equal(actual.length, expected.length, `${message}: length`);
  expected.forEach((e, i) => assertClose(actual[i]!, e, `${message}[${i}]`));
}
