/**
 * Maps `items` through an async `fn` with at most `limit` calls in flight, keeping result order.
 * Why: stat-ing or encoding thousands of files with a bare Promise.all opens them all at once
 * (EMFILE on big datasets); one at a time is needlessly slow.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
