/**
 * Matching a class name from one source (a val/test folder name, a CSV level) against the
 * training classes, so that a CSV level "3" finds the folder class "3_severe" and vice versa.
 */

/** The leading integer of a class name ("3_severe" → 3, "12" → 12), or undefined. */
export function leadingInteger(name: string): number | undefined {
  const m = /^(\d+)(?!\d)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Index of `name` in `classes`, or -1.
 * Exact match first; otherwise, when one side is a bare integer (a Kaggle-style level) and the
 * other starts with that integer ("3" ↔ "3_severe"), that class — but only if exactly one matches.
 * Two named classes that merely share a number ("1_cat" vs "1_dog") never match.
 */
export function matchClass(name: string, classes: readonly string[]): number {
  const exact = classes.indexOf(name);
  if (exact >= 0) return exact;
  const nameIsInt = /^\d+$/.test(name);
  const n = leadingInteger(name);
  if (n === undefined) return -1;
  const hits: number[] = [];
  classes.forEach((c, i) => {
    const cIsInt = /^\d+$/.test(c);
    if ((nameIsInt || cIsInt) && leadingInteger(c) === n) hits.push(i);
  });
  return hits.length === 1 ? hits[0]! : -1;
}
