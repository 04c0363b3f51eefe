// Streams the frozen prefix's outputs for training batches: computed once per image and cached on
// disk (FeatureCache, keyed by the prefix's last layer), read back one batch at a time — never the
// whole set in memory (VGG-16's block4_pool is 100k floats per image). With augmentation the input
// changes every epoch, so the prefix runs on each augmented batch instead (inference only).
import type { ImageItem, SkippedFile } from '../data/dataset.js';
import { decodeImage, type ResizeMode } from '../data/decodeImage.js';
import { FeatureCache, hashFile } from '../features/featureCache.js';
import type { ForwardRunner } from '../inference/forwardRunner.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { applyAugment, drawAugment } from './augment.js';
import type { AugmentConfig } from './config.js';

/** Loads the prefix outputs of some items (by index into the source's items), concatenated. */
export type BatchLoader = (indices: readonly number[], epoch: number) => Promise<Float32Array>;

export interface PrefixSource {
  /** The usable items (unreadable images left out), each with its content hash. */
  items: ImageItem[];
  hashes: string[];
  load: BatchLoader;
}

export interface PrefixOptions {
  runner: ForwardRunner;
  cache: FeatureCache;
  resizeMode: ResizeMode;
  /** Images per forward pass while filling the cache. */
  batchSize: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** Prefix outputs, `runner.outputSize` floats per image. */
export class PrefixStore {
  computed = 0;
  fromCache = 0;

  constructor(private readonly opts: PrefixOptions) {}

  get size(): number {
    return this.opts.runner.outputSize;
  }

  /**
   * Makes sure every item's prefix output is in the cache (decoding the next batch while the
   * current one runs). Returns the usable items; unreadable ones are listed in `skipped`.
   * With `decodeOnly`, images are only hashed and test-decoded (for augmented training, whose
   * prefix outputs are never cached).
   */
  async prepare(items: ImageItem[], phase: string, skipped: SkippedFile[], decodeOnly = false): Promise<{ items: ImageItem[]; hashes: string[] }> {
    const { runner, cache, signal } = this.opts;
    const batchSize = Math.max(1, this.opts.batchSize);
    const hashes: (string | undefined)[] = new Array(items.length);
    let done = 0;
    let cached = 0;
    let computed = 0;
    this.opts.onProgress?.({ phase, done, total: items.length });
    const prepareOne = async (i: number): Promise<{ i: number; pixels?: Float32Array }> => {
      const item = items[i]!;
      try {
        const hash = await hashFile(item.path);
        if (!decodeOnly && (await cache.get(hash))) {
          hashes[i] = hash;
          cached++;
          return { i };
        }
        const pixels = await decodeImage(item.path, runner.inputSize, this.opts.resizeMode);
        hashes[i] = hash;
        return decodeOnly ? { i } : { i, pixels };
      } catch (err) {
        skipped.push({ path: item.path, reason: reasonOf(err, item.path) });
        return { i };
      }
    };
    const prepareBatch = (start: number) => Promise.all(range(start, Math.min(items.length, start + batchSize)).map(prepareOne));
    let next = items.length > 0 ? prepareBatch(0) : undefined;
    for (let start = 0; start < items.length; start += batchSize) {
      throwIfCancelled(signal);
      const batch = await next!;
      next = start + batchSize < items.length ? prepareBatch(start + batchSize) : undefined;
      const toRun = batch.filter((d) => d.pixels !== undefined);
      if (toRun.length > 0) {
        const px = runner.inputSize * runner.inputSize * 3;
        const input = new Float32Array(toRun.length * px);
        toRun.forEach((d, k) => input.set(d.pixels!, k * px));
        const out = await runner.run(input, toRun.length);
        for (let k = 0; k < toRun.length; k++) {
          await cache.put(hashes[toRun[k]!.i]!, out.slice(k * this.size, (k + 1) * this.size));
        }
        computed += toRun.length;
      }
      done += batch.length;
      const message = decodeOnly ? 'checked' : `${cached} cached, ${computed} computed`;
      this.opts.onProgress?.({ phase, done, total: items.length, message });
    }
    this.fromCache += cached;
    this.computed += computed;
    const kept = items.flatMap((item, i) => (hashes[i] !== undefined ? [{ item, hash: hashes[i] }] : []));
    return { items: kept.map((k) => k.item), hashes: kept.map((k) => k.hash) };
  }

  /** Reads cached prefix outputs of `hashes` into one array (recomputing any entry that vanished). */
  async read(hashes: readonly string[], paths: readonly string[]): Promise<Float32Array> {
    const out = new Float32Array(hashes.length * this.size);
    const rows = await Promise.all(hashes.map((h) => this.opts.cache.get(h)));
    const missing: number[] = [];
    rows.forEach((row, k) => (row ? out.set(row, k * this.size) : missing.push(k)));
    if (missing.length > 0) {
      const computed = await this.compute(missing.map((k) => paths[k]!));
      for (const [j, k] of missing.entries()) {
        const row = computed.subarray(j * this.size, (j + 1) * this.size);
        out.set(row, k * this.size);
        await this.opts.cache.put(hashes[k]!, row.slice());
      }
    }
    return out;
  }

  /** Runs the prefix on image files (each decoded, optionally transformed first). */
  async compute(paths: readonly string[], transform?: (pixels: Float32Array, k: number) => Float32Array): Promise<Float32Array> {
    const { runner } = this.opts;
    const px = runner.inputSize * runner.inputSize * 3;
    const decoded = await Promise.all(paths.map((p) => decodeImage(p, runner.inputSize, this.opts.resizeMode)));
    const input = new Float32Array(paths.length * px);
    decoded.forEach((d, k) => input.set(transform ? transform(d, k) : d, k * px));
    return runner.run(input, paths.length);
  }

  /** A loader over cached prefix outputs. */
  cachedSource(prepared: { items: ImageItem[]; hashes: string[] }): PrefixSource {
    const paths = prepared.items.map((i) => i.path);
    return {
      ...prepared,
      load: (indices) => this.read(indices.map((i) => prepared.hashes[i]!), indices.map((i) => paths[i]!)),
    };
  }

  /** A loader that decodes, augments (seeded per epoch and item) and runs the prefix per batch. */
  augmentedSource(prepared: { items: ImageItem[]; hashes: string[] }, augment: AugmentConfig, seed: number): PrefixSource {
    const size = this.opts.runner.inputSize;
    return {
      ...prepared,
      load: (indices, epoch) =>
        this.compute(
          indices.map((i) => prepared.items[i]!.path),
          (pixels, k) => applyAugment(pixels, size, drawAugment(augment, seed, epoch, indices[k]!, size)),
        ),
    };
  }
}

function range(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

function reasonOf(err: unknown, path: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const stripped = message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
  return err instanceof FttlError ? stripped : `could not be read (${stripped})`;
}
