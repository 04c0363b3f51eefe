import { loadBackbone, type Backbone } from '../backbones/backbone.js';
import type { ProgressCallback } from '../util/progress.js';

/**
 * Backbones stay loaded for the life of the process (the CLI's or the extension's worker):
 * the demo trains three heads on one backbone, and the extension reuses it between commands.
 */
const loaded = new Map<string, Promise<Backbone>>();

export function getBackbone(source: string, opts: { weightsCacheDir?: string; onProgress?: ProgressCallback; signal?: AbortSignal } = {}): Promise<Backbone> {
  const key = `${source}\u0000${opts.weightsCacheDir ?? ''}`;
  let entry = loaded.get(key);
  if (!entry) {
    entry = loadBackbone(source, { cacheDir: opts.weightsCacheDir, onProgress: opts.onProgress, signal: opts.signal });
    // A failed load (missing file, cancelled download) must not be remembered.
    entry.catch(() => loaded.delete(key));
    loaded.set(key, entry);
  }
  return entry;
}
