/**
 * Summation in exactly the order numpy uses, so that averages and areas come out bit-identical
 * to scikit-learn's (a naive left-to-right sum can differ in the last bit, and a last-bit
 * difference can flip a printed digit when a value sits on a rounding boundary).
 */

/** numpy's `pairwise_sum` (umath/loops_utils.h): 8 running partial sums below 128 items, halving above. */
function pairwise(values: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += values[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = new Array<number>(8);
    for (let j = 0; j < 8; j++) r[j] = values[start + j]!;
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    }
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += values[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(values, start, n2) + pairwise(values, start + n2, n - n2);
}

/** `np.sum(a)` of a float64 array (numpy starts a float `add.reduce` from the identity 0). */
export function numpySum(values: ArrayLike<number>): number {
  return 0 + pairwise(values, 0, values.length);
}

/** `np.mean(a)` / `np.average(a)`: the numpy sum divided by the count. */
export function numpyMean(values: ArrayLike<number>): number {
  return numpySum(values) / values.length;
}
