import { createHash } from 'node:crypto';
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { atomicWriteFile, atomicWriteJson } from '../util/atomicWrite.js';
import { FttlError } from '../util/errors.js';

/** Everything that changes a feature vector: the same key and image bytes give the same vector. */
export interface ExtractorKey {
  backboneId: string;
  layer: string;
  pooling: string;
  inputSize: number;
  resizeMode: string;
  preprocess: string;
}

/** The SHA-256 of a file's content, hex: images are cached by content, so renames and copies hit. */
export async function hashFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

export function extractorKeyHash(key: ExtractorKey): string {
  const canonical = JSON.stringify([key.backboneId, key.layer, key.pooling, key.inputSize, key.resizeMode, key.preprocess]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

/**
 * Feature vectors on disk, one raw little-endian float32 file per (extractor, image content):
 * `<root>/<extractor hash>/<2 hex>/<content hash>.f32`, with the extractor's key and vector size in
 * `key.json`. Each file is written atomically, so a cancelled or crashed run leaves only whole entries,
 * and an entry of the wrong size is treated as absent rather than trusted.
 */
export class FeatureCache {
  private readonly dir: string;
  private ready: Promise<void> | undefined;

  constructor(root: string, readonly key: ExtractorKey, readonly dim: number) {
    this.dir = join(root, extractorKeyHash(key));
  }

  private entryPath(contentHash: string): string {
    return join(this.dir, contentHash.slice(0, 2), `${contentHash}.f32`);
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      await mkdir(this.dir, { recursive: true });
      const keyFile = join(this.dir, 'key.json');
      const existing = await readFile(keyFile, 'utf8').then((s) => JSON.parse(s) as { dim?: number }, () => undefined);
      if (existing && existing.dim !== this.dim) {
        throw new FttlError('internal', `Feature cache ${this.dir} holds ${existing.dim}-d vectors, expected ${this.dim}.`);
      }
      if (!existing) await atomicWriteJson(keyFile, { ...this.key, dim: this.dim });
    })();
    return this.ready;
  }

  /** The cached vector, or undefined when absent or damaged. */
  async get(contentHash: string): Promise<Float32Array | undefined> {
    await this.init();
    let buf: Buffer;
    try {
      buf = await readFile(this.entryPath(contentHash));
    } catch {
      return undefined;
    }
    if (buf.byteLength !== this.dim * 4) return undefined;
    // Copy into an aligned buffer: Node's pooled Buffers may start at an odd offset.
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }

  async put(contentHash: string, vector: Float32Array): Promise<void> {
    if (vector.length !== this.dim) throw new FttlError('internal', `Vector of ${vector.length} values, cache holds ${this.dim}.`);
    await this.init();
    await atomicWriteFile(this.entryPath(contentHash), new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
  }
}
