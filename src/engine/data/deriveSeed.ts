/**
 * A 32-bit seed from a base seed and a purpose string (FNV-1a), so each use of one user seed
 * (test split, val split, class "3_severe", synthetic image 17 …) gets its own independent stream.
 */
export function deriveSeed(seed: number, purpose: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  const s = `:${seed}:${purpose}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
