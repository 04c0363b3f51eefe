import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { countsByClass, scanFolder } from '../../../src/engine/data/dataset.js';
import {
  SYNTHETIC_CLASSES,
  isSyntheticDatasetComplete,
  syntheticImagePath,
  writeSyntheticFundusDataset,
} from '../../../src/engine/data/synthetic.js';
import { renderSyntheticFundus } from '../../../src/engine/data/syntheticFundus.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { tempDir } from './fixtures.js';

const opts = { perClass: 6, size: 64, seed: 11 };

test('writes 5 grade folders of PNGs, a README saying SYNTHETIC, and is then complete', async (t) => {
  const dir = join(await tempDir(t), 'syn');
  assert.equal(await isSyntheticDatasetComplete(dir, opts), false);
  const res = await writeSyntheticFundusDataset(dir, opts);
  assert.equal(res.files.length, 30);
  const ds = await scanFolder(dir);
  assert.deepEqual(ds.classes, [...SYNTHETIC_CLASSES]);
  assert.deepEqual(countsByClass(ds), [6, 6, 6, 6, 6]);
  assert.match(await readFile(join(dir, 'README.txt'), 'utf8'), /^SYNTHETIC DATA — NOT REAL FUNDUS PHOTOGRAPHS\./);
  const meta = await sharp(join(dir, syntheticImagePath(3, 0))).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['png', 64, 64, 3]);
  assert.equal(await isSyntheticDatasetComplete(dir, opts), true);
  assert.equal(await isSyntheticDatasetComplete(dir, { ...opts, seed: 12 }), false);
  assert.equal(await isSyntheticDatasetComplete(dir, { ...opts, perClass: 7 }), false);
  await rm(join(dir, syntheticImagePath(4, 5)));
  assert.equal(await isSyntheticDatasetComplete(dir, opts), false);
  // Regenerating with fewer images removes the stale ones.
  await writeSyntheticFundusDataset(dir, { ...opts, perClass: 2 });
  assert.deepEqual(countsByClass(await scanFolder(dir)), [2, 2, 2, 2, 2]);
  assert.equal(await isSyntheticDatasetComplete(dir, { ...opts, perClass: 2 }), true);
});

test('deterministic: same seed → byte-identical files; another seed → different images', async (t) => {
  const base = await tempDir(t);
  await writeSyntheticFundusDataset(join(base, 'a'), opts);
  await writeSyntheticFundusDataset(join(base, 'b'), opts);
  await writeSyntheticFundusDataset(join(base, 'c'), { ...opts, seed: 12 });
  let differs = 0;
  for (let g = 0; g < 5; g++) {
    for (let i = 0; i < opts.perClass; i++) {
      const rel = syntheticImagePath(g, i);
      const a = await readFile(join(base, 'a', rel));
      assert.ok(a.equals(await readFile(join(base, 'b', rel))), `${rel} differs between runs`);
      if (!a.equals(await readFile(join(base, 'c', rel)))) differs++;
    }
  }
  assert.equal(differs, 30);
  // Images within a class differ from each other.
  const x = await readFile(join(base, 'a', syntheticImagePath(0, 0)));
  assert.ok(!x.equals(await readFile(join(base, 'a', syntheticImagePath(0, 1)))));
});

test('refuses a non-empty folder that is not a synthetic dataset; checks options', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'precious.txt'), 'real data');
  await assert.rejects(writeSyntheticFundusDataset(dir, opts), (e: unknown) => e instanceof FttlError && /not empty/.test(e.message));
  assert.deepEqual(await readdir(dir), ['precious.txt']);
  await assert.rejects(writeSyntheticFundusDataset(join(dir, 'x'), { ...opts, perClass: 0 }), /perClass must be/);
  await assert.rejects(writeSyntheticFundusDataset(join(dir, 'x'), { ...opts, size: 8 }), /size must be/);
});

test('an interrupted run (README, no manifest) can be regenerated', async (t) => {
  const dir = join(await tempDir(t), 'syn');
  await writeSyntheticFundusDataset(dir, opts);
  await rm(join(dir, 'synthetic.json'));
  assert.equal(await isSyntheticDatasetComplete(dir, opts), false);
  await writeSyntheticFundusDataset(dir, opts);
  assert.equal(await isSyntheticDatasetComplete(dir, opts), true);
});

// Pixel measures of lesions: dark-red pixels (microaneurysms, haemorrhages, new vessels: green
// under 22% of red) and yellow pixels (exudates: green near red, blue well below green).
function lesionPixels(rgb: Uint8Array): { dark: number; yellow: number } {
  let dark = 0;
  let yellow = 0;
  for (let p = 0; p < rgb.length; p += 3) {
    const r = rgb[p]!, g = rgb[p + 1]!, b = rgb[p + 2]!;
    if (r > 40 && g < 0.22 * r) dark++;
    if (r > 150 && g > 0.75 * r && b < 0.6 * g) yellow++;
  }
  return { dark, yellow };
}

test('lesion counts and lesion pixels grow with the grade; image statistics overlap between grades', () => {
  const N = 24;
  const meanLesions: number[] = [];
  const meanPixels: number[] = [];
  const brightness: number[][] = [];
  for (let g = 0; g < 5; g++) {
    let lesions = 0;
    let pixels = 0;
    brightness.push([]);
    for (let i = 0; i < N; i++) {
      const { rgb, lesions: l } = renderSyntheticFundus(g, 128, 1000 + i);
      lesions += l.microaneurysms + l.haemorrhages + l.exudates + l.cottonWool + l.newVessels + l.preretinal;
      const m = lesionPixels(rgb);
      pixels += m.dark + m.yellow;
      brightness[g]!.push(rgb.reduce((a, v) => a + v, 0) / rgb.length);
    }
    meanLesions.push(lesions / N);
    meanPixels.push(pixels / N);
  }
  for (let g = 1; g < 5; g++) {
    assert.ok(meanLesions[g]! > meanLesions[g - 1]!, `lesion count grade ${g}: ${meanLesions}`);
    assert.ok(meanPixels[g]! > meanPixels[g - 1]!, `lesion pixels grade ${g}: ${meanPixels}`);
  }
  // Not trivially separable by overall brightness: the ranges of grades 0 and 4 overlap.
  assert.ok(Math.min(...brightness[0]!) < Math.max(...brightness[4]!) && Math.min(...brightness[4]!) < Math.max(...brightness[0]!));
  // Black outside the fundus disc.
  const { rgb } = renderSyntheticFundus(2, 128, 5);
  assert.deepEqual([rgb[0], rgb[1], rgb[2]], [0, 0, 0]);
});

test('5 × 40 images at 128 px take a few seconds at most', async (t) => {
  const dir = join(await tempDir(t), 'syn');
  const started = performance.now();
  await writeSyntheticFundusDataset(dir, { perClass: 40, size: 128, seed: 1 });
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 10, `took ${seconds.toFixed(1)} s`);
});
