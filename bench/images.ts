// Deterministic ~1000 px JPEGs for the benchmarks: the synthetic fundus renderer's pictures
// (5 grade folders), encoded as camera-like JPEGs, generated once into a temp folder and reused.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { mapLimit } from '../src/engine/data/mapLimit.js';
import { renderSyntheticFundus, SYNTHETIC_GRADES } from '../src/engine/data/syntheticFundus.js';

const VERSION = 1;

export interface BenchImages {
  /** Folder with one sub-folder per class (a dataset FTTL can train on). */
  dir: string;
  /** Every image, class by class. */
  files: string[];
  size: number;
}

/**
 * `perClass` images per class for `classes` (≤ 5) classes, `size`×`size` px JPEG (quality 90),
 * under $TMPDIR/fttl-bench-… ; same arguments → same bytes, so a second run skips generation.
 */
export async function benchImages(opts: { perClass: number; classes?: number; size?: number; dir?: string }): Promise<BenchImages> {
  const classes = Math.min(opts.classes ?? 3, SYNTHETIC_GRADES);
  const size = opts.size ?? 1000;
  const dir = opts.dir ?? join(tmpdir(), `fttl-bench-images-v${VERSION}-${classes}x${opts.perClass}-${size}`);
  const manifest = join(dir, 'bench-images.json');
  const want = JSON.stringify({ version: VERSION, classes, perClass: opts.perClass, size });
  const jobs: { cls: number; i: number; path: string }[] = [];
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < opts.perClass; i++) jobs.push({ cls: c, i, path: join(dir, `grade_${c}`, `img_${c}_${String(i).padStart(4, '0')}.jpg`) });
  }
  const have = await readFile(manifest, 'utf8').catch(() => '');
  if (have !== want) {
    await rm(dir, { recursive: true, force: true });
    for (let c = 0; c < classes; c++) await mkdir(join(dir, `grade_${c}`), { recursive: true });
    await mapLimit(jobs, 2, async ({ cls, i, path }) => {
      const { rgb } = renderSyntheticFundus(cls, size, 1000 * cls + i + 1);
      const jpeg = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: size, height: size, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer();
      await writeFile(path, jpeg);
    });
    await writeFile(manifest, want);
  }
  const present = new Set((await Promise.all([...Array(classes).keys()].map((c) => readdir(join(dir, `grade_${c}`))))).flat());
  if (jobs.some((j) => !present.has(j.path.split('/').pop()!))) throw new Error(`bench images in ${dir} are incomplete; delete the folder`);
  return { dir, files: jobs.map((j) => j.path), size };
}
