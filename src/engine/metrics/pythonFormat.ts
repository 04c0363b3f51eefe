// Python's number formatting, so text output matches what scikit-learn prints.

/**
 * Python's `format(x, f'.{digits}f')`. JavaScript's `toFixed` rounds an exact tie (a double
 * that is exactly d.ddd5, like 0.0625 = 1/16, a common precision) away from zero, Python to
 * the even digit; everything else already agrees, as both round the exact binary value.
 */
export function pythonFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  const longer = a.toFixed(digits + 1);
  if (longer.endsWith('5') && Number(longer) === a) {
    // `longer` is a tie candidate; it *is* the value exactly iff it is a dyadic rational,
    // i.e. its digits (as an integer over 10^(digits+1)) are divisible by 5^(digits+1).
    const scaled = BigInt(longer.replace('.', ''));
    if (scaled % 5n ** BigInt(digits + 1) === 0n) {
      let q = scaled / 10n; // truncated to `digits` decimals
      if (q % 2n === 1n) q += 1n; // half to even
      const s = q.toString().padStart(digits + 1, '0');
      return sign + (digits === 0 ? s : `${s.slice(0, -digits)}.${s.slice(-digits)}`);
    }
  }
  return sign + a.toFixed(digits);
}

/** Right-aligns like Python's `{:>width}` (counting code points, as Python's len does). */
export function pythonRight(s: string, width: number): string {
  return ' '.repeat(Math.max(0, width - [...s].length)) + s;
}

