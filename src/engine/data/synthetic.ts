import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { atomicWriteFile, atomicWriteJson } from '../util/atomicWrite.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { mapLimit } from './mapLimit.js';
import { deriveSeed } from './deriveSeed.js';
import { renderSyntheticFundus } from './syntheticFundus.js';

/** The class folders of the synthetic dataset, one per DR grade, in grade order. */
export const SYNTHETIC_CLASSES = ['0_no_dr', '1_mild', '2_moderate', '3_severe', '4_proliferative'] as const;

/** What to generate. */
export interface SyntheticDatasetOptions {
  /** Images per class (1..10000). */
  perClass: number;
  /** Width = height in pixels (16..1024), e.g. 128. */
  size: number;
  seed: number;
}

/** Written next to the class folders; its presence (written last) marks a complete dataset. */
export const SYNTHETIC_MANIFEST = 'synthetic.json';
// Bump when the renderer's output changes, so old folders are regenerated.
const GENERATOR_VERSION = 1;
const FILE_PATTERN = /^synthetic_\d+_\d+\.png$/;

interface Manifest {
  generator: 'fttl-synthetic-fundus';
  version: number;
  perClass: number;
  size: number;
  seed: number;
  classes: string[];
}

/** Relative path (`<class>/synthetic_<grade>_<nnnn>.png`) of image `index` of `grade`. */
export function syntheticImagePath(grade: number, index: number): string {
  return `${SYNTHETIC_CLASSES[grade]}/synthetic_${grade}_${String(index).padStart(4, '0')}.png`;
}

/**
 * Writes a small SYNTHETIC fundus-like dataset (see renderSyntheticFundus) for demos and tests:
 * `dir/<class>/synthetic_<grade>_<nnnn>.png` for the 5 DR grades, a README.txt saying the
 * images are synthetic, and a manifest written last. Same options → byte-identical files.
 * Files are written atomically; re-running over an earlier synthetic dataset replaces it (stale
 * synthetic_*.png files are removed). A non-empty folder without our manifest is refused, so a
 * mistyped path never mixes cartoons into real data.
 */
export async function writeSyntheticFundusDataset(
  dir: string,
  opts: SyntheticDatasetOptions,
  hooks: { signal?: AbortSignal; onProgress?: ProgressCallback } = {},
): Promise<{ dir: string; classes: string[]; files: string[] }> {
  dir = resolve(dir);
  checkOptions(opts);
  const entries = await readdir(dir).catch(() => [] as string[]);
  // Ours if the manifest is there, or our README (written first) from an interrupted run.
  const ours =
    entries.includes(SYNTHETIC_MANIFEST) ||
    (entries.includes('README.txt') && (await readFile(join(dir, 'README.txt'), 'utf8').catch(() => '')).startsWith(README_MARK));
  if (!ours && entries.some((e) => !e.startsWith('.'))) {
    throw new FttlError('bad-input', `${dir} is not empty and holds no synthetic dataset; pick an empty or new folder.`);
  }
  // Invalidate first: an interrupted run must not look complete.
  await rm(join(dir, SYNTHETIC_MANIFEST), { force: true });
  if (ours) await removeStaleImages(dir, opts.perClass);

  await atomicWriteFile(join(dir, 'README.txt'), readme(opts));
  const jobs = SYNTHETIC_CLASSES.flatMap((_, grade) => Array.from({ length: opts.perClass }, (_, i) => ({ grade, i })));
  let done = 0;
  const files = await mapLimit(jobs, 4, async ({ grade, i }) => {
    throwIfCancelled(hooks.signal);
    const { rgb } = renderSyntheticFundus(grade, opts.size, deriveSeed(opts.seed, `synthetic:${grade}:${i}`));
    const png = await sharp(rgb, { raw: { width: opts.size, height: opts.size, channels: 3 } }).png().toBuffer();
    const path = join(dir, syntheticImagePath(grade, i));
    await atomicWriteFile(path, png);
    hooks.onProgress?.({ phase: 'synthetic data', done: ++done, total: jobs.length });
    return path;
  });
  const manifest: Manifest = { generator: 'fttl-synthetic-fundus', version: GENERATOR_VERSION, ...pick(opts), classes: [...SYNTHETIC_CLASSES] };
  await atomicWriteJson(join(dir, SYNTHETIC_MANIFEST), manifest);
  return { dir, classes: [...SYNTHETIC_CLASSES], files };
}

/**
 * True when `dir` holds a finished synthetic dataset made with these options by this generator
 * version (manifest matches and every image file exists and is non-empty) — callers can then
 * skip regeneration. Never throws for a missing or foreign folder; returns false.
 */
export async function isSyntheticDatasetComplete(dir: string, opts: SyntheticDatasetOptions): Promise<boolean> {
  dir = resolve(dir);
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(await readFile(join(dir, SYNTHETIC_MANIFEST), 'utf8')) as Partial<Manifest>;
  } catch {
    return false;
  }
  if (m.generator !== 'fttl-synthetic-fundus' || m.version !== GENERATOR_VERSION) return false;
  if (m.perClass !== opts.perClass || m.size !== opts.size || m.seed !== opts.seed) return false;
  for (let grade = 0; grade < SYNTHETIC_CLASSES.length; grade++) {
    for (let i = 0; i < opts.perClass; i++) {
      const s = await stat(join(dir, syntheticImagePath(grade, i))).catch(() => null);
      if (!s || !s.isFile() || s.size === 0) return false;
    }
  }
  return true;
}

function checkOptions(o: SyntheticDatasetOptions): void {
  if (!Number.isInteger(o.perClass) || o.perClass < 1 || o.perClass > 10000) {
    throw new FttlError('bad-input', `perClass must be an integer from 1 to 10000 (got ${o.perClass}).`);
  }
  if (!Number.isInteger(o.size) || o.size < 16 || o.size > 1024) {
    throw new FttlError('bad-input', `size must be an integer from 16 to 1024 (got ${o.size}).`);
  }
  if (!Number.isInteger(o.seed)) throw new FttlError('bad-input', `seed must be an integer (got ${o.seed}).`);
}

function pick(o: SyntheticDatasetOptions) {
  return { perClass: o.perClass, size: o.size, seed: o.seed };
}

// Removes our own image files beyond the new count (or all of them; atomic writes replace the rest).
async function removeStaleImages(dir: string, perClass: number): Promise<void> {
  for (const cls of SYNTHETIC_CLASSES) {
    const names = await readdir(join(dir, cls)).catch(() => [] as string[]);
    for (const name of names) {
      if (!FILE_PATTERN.test(name)) continue;
      const index = Number(name.slice(name.lastIndexOf('_') + 1, -4));
      if (index >= perClass) await rm(join(dir, cls, name), { force: true });
    }
  }
}

const README_MARK = 'SYNTHETIC DATA — NOT REAL FUNDUS PHOTOGRAPHS.';

function readme(o: SyntheticDatasetOptions): string {
  return `${README_MARK}

These images were drawn by a program (FTTL's synthetic fundus generator, version ${GENERATOR_VERSION}):
an orange-red disc with an optic disc, vessels and cartoon lesions whose number grows with the
diabetic-retinopathy grade (microaneurysms, haemorrhages, exudates, cotton-wool spots, new vessels).
They exist only to demonstrate and test the software. They say nothing about real eyes and must
never be used to train, validate or judge anything clinical.

Classes: ${SYNTHETIC_CLASSES.join(', ')}
Images per class: ${o.perClass}; size: ${o.size}x${o.size} px; seed: ${o.seed}
`;
}
