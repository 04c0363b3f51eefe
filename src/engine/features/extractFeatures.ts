import type { ForwardRunner } from '../inference/forwardRunner.js';
import type { ImageItem, SkippedFile } from '../data/dataset.js';
import { decodeImage, type ResizeMode } from '../data/decodeImage.js';
import type { ProgressCallback } from '../util/progress.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { FeatureCache, hashFile } from './featureCache.js';
import type { FeatureMatrix } from './featureMatrix.js';


export interface ExtractionResult {
  features: FeatureMatrix;
  /** The images that have a row in `features`, in row order (unreadable ones are left out). */
  items: ImageItem[];
  skipped: SkippedFile[];
  fromCache: number;
  extracted: number;
  seconds: number;
}

export interface ExtractOptions {
  items: ImageItem[];
  runner: ForwardRunner;
  resizeMode: ResizeMode;
  /** Omit to extract without caching. */
  cache?: FeatureCache;
  batchSize?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  phase?: string;
}

interface Decoded {
  index: number;
  hash: string;
  cached?: Float32Array;
  pixels?: Float32Array;
}

/**
 * Turns images into feature vectors in batches. Cached vectors are reused; the rest are decoded
 * (sharp, on libuv's threads) for the next batch while the current one runs through the network,
 * so decoding overlaps inference. An unreadable image is skipped and listed, never fatal here:
 * callers decide whether what is left is enough.
 */
export async function extractFeatures(opts: ExtractOptions): Promise<ExtractionResult> {
  const { items, runner, cache, signal } = opts;
  const batchSize = Math.max(1, opts.batchSize ?? 16);
  const phase = opts.phase ?? 'extract features';
  const started = performance.now();
  const size = runner.inputSize;
  const rows: (Float32Array | undefined)[] = new Array(items.length);
  const skipped: SkippedFile[] = [];
  let fromCache = 0;
  let extracted = 0;
  let done = 0;
  opts.onProgress?.({ phase, done, total: items.length });

  const prepare = (index: number): Promise<Decoded | undefined> =>
    (async () => {
      const item = items[index]!;
      const hash = await hashFile(item.path);
      const cached = await cache?.get(hash);
      if (cached) return { index, hash, cached };
      return { index, hash, pixels: await decodeImage(item.path, size, opts.resizeMode) };
    })().catch((err: unknown) => {
      skipped.push({ path: items[index]!.path, reason: reasonOf(err, items[index]!.path) });
      return undefined;
    });

  const prepareBatch = (start: number) => {
    const end = Math.min(items.length, start + batchSize);
    const jobs: Promise<Decoded | undefined>[] = [];
    for (let i = start; i < end; i++) jobs.push(prepare(i));
    return Promise.all(jobs);
  };

  let next = items.length > 0 ? prepareBatch(0) : undefined;
  for (let start = 0; start < items.length; start += batchSize) {
    throwIfCancelled(signal);
    const batch = await next!;
    next = start + batchSize < items.length ? prepareBatch(start + batchSize) : undefined;
    const toRun = batch.filter((d): d is Decoded => d !== undefined && d.pixels !== undefined);
    for (const d of batch) {
      if (d?.cached) {
        rows[d.index] = d.cached;
        fromCache++;
      }
    }
    if (toRun.length > 0) {
      const pixelCount = size * size * 3;
      const input = new Float32Array(toRun.length * pixelCount);
      toRun.forEach((d, k) => input.set(d.pixels!, k * pixelCount));
      const out = await runner.run(input, toRun.length);
      for (let k = 0; k < toRun.length; k++) {
        const vec = out.slice(k * runner.outputSize, (k + 1) * runner.outputSize);
        rows[toRun[k]!.index] = vec;
        await cache?.put(toRun[k]!.hash, vec);
      }
      extracted += toRun.length;
    }
    done += batch.length;
    opts.onProgress?.({ phase, done, total: items.length, message: `${fromCache} cached, ${extracted} computed` });
  }

  const kept: ImageItem[] = [];
  const dim = runner.outputSize;
  const data = new Float32Array(rows.filter(Boolean).length * dim);
  rows.forEach((row, i) => {
    if (!row) return;
    data.set(row, kept.length * dim);
    kept.push(items[i]!);
  });
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return {
    features: { data, rows: kept.length, dim },
    items: kept,
    skipped,
    fromCache,
    extracted,
    seconds: (performance.now() - started) / 1000,
  };
}

function reasonOf(err: unknown, path: string): string {
  const message = err instanceof Error ? err.message : String(err);
  // decodeImage's messages start with the path; the record lists the path separately.
  const stripped = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
  if (err instanceof FttlError) return stripped;
  return `could not be read (${stripped})`;
}
