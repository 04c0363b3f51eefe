// Test fixtures for the data tests: temporary folders under os.tmpdir() and tiny images made
// with sharp at test time (no binary files in the repository).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/** A fresh temporary folder, removed when the test ends. */
export async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-data-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → content) under `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [rel, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), data);
  }
}

/** A small solid-colour PNG. */
export function solidPng(r: number, g: number, b: number, size = 4): Promise<Buffer> {
  return sharp({ create: { width: size, height: size, channels: 3, background: { r, g, b } } }).png().toBuffer();
}

/** A PNG from raw RGB bytes. */
export function rawPng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Pixel (x, y) of a decoded size×size×3 HWC array. */
export function pixel(data: Float32Array, size: number, x: number, y: number): [number, number, number] {
  const o = (y * size + x) * 3;
  return [data[o]!, data[o + 1]!, data[o + 2]!];
}
