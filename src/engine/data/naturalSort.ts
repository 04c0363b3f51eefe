/**
 * "Natural" string order: runs of digits compare by numeric value, so "2" < "10" and
 * "img9.png" < "img10.png"; everything else compares by code point (locale-independent, so the
 * class order — and with it every label index — is the same on every machine).
 */
export function naturalCompare(a: string, b: string): number {
  const ta = tokenize(a);
  const tb = tokenize(b);
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const xd = isDigits(x);
    const yd = isDigits(y);
    let c: number;
    if (xd && yd) c = compareDigitRuns(x, y);
    else c = x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  if (ta.length !== tb.length) return ta.length - tb.length;
  // Equal as numbers but spelt differently ("01" vs "1"): fall back to plain order so the sort is total.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted copy of `names` in natural order. */
export function naturalSort(names: readonly string[]): string[] {
  return [...names].sort(naturalCompare);
}

function tokenize(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

function isDigits(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57;
}

// Compares digit runs of any length without Number overflow: strip leading zeros, then longer is bigger.
function compareDigitRuns(x: string, y: string): number {
  const sx = x.replace(/^0+(?=\d)/, '');
  const sy = y.replace(/^0+(?=\d)/, '');
  if (sx.length !== sy.length) return sx.length - sy.length;
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}
