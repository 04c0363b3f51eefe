import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { countsByClass, type ImageItem } from '../../../src/engine/data/dataset.js';
import { findSplitFolders, resolveSplits, stratifiedSplit } from '../../../src/engine/data/splits.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { sharedData } from '../../helpers/shared.js';
import { solidPng, tempDir, writeTree } from './fixtures.js';

const badInput = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FttlError, `expected FttlError, got ${String(e)}`);
  assert.equal(e.kind, 'bad-input');
  assert.match(e.message, pattern);
  return true;
};

async function classFolders(root: string, counts: Record<string, number>): Promise<void> {
  const png = await solidPng(9, 9, 9);
  const files: Record<string, Buffer> = {};
  for (const [cls, n] of Object.entries(counts)) for (let i = 0; i < n; i++) files[`${cls}/img${i}.png`] = png;
  await writeTree(root, files);
}

const counts = (classes: string[], items: ImageItem[]) => countsByClass({ classes, items });

test('explicit train/val/test folders are used as they are', async (t) => {
  const root = await tempDir(t);
  await classFolders(join(root, 'train'), { a: 5, b: 4 });
  await classFolders(join(root, 'val'), { a: 2, b: 1 });
  await classFolders(join(root, 'test'), { b: 3 }); // a class may be missing from test
  const s = await resolveSplits({ train: root, seed: 1 });
  assert.equal(s.source, 'folders');
  assert.deepEqual(s.classes, ['a', 'b']);
  assert.deepEqual(counts(s.classes, s.train), [5, 4]);
  assert.deepEqual(counts(s.classes, s.val), [2, 1]);
  assert.deepEqual(counts(s.classes, s.test), [0, 3]);
  assert.ok(s.test.every((i) => relative(root, i.path).startsWith('test/')));
  assert.deepEqual(await findSplitFolders(join(root, 'train')), undefined);
});

test('train folder + val folder, no test: test is stratified from train, val kept', async (t) => {
  const root = await tempDir(t);
  await classFolders(join(root, 'train'), { a: 10, b: 10 });
  await classFolders(join(root, 'Validation'), { a: 1, b: 1 });
  const s = await resolveSplits({ train: root, seed: 3 });
  assert.equal(s.source, 'stratified');
  assert.deepEqual(counts(s.classes, s.test), [3, 3]);
  assert.deepEqual(counts(s.classes, s.val), [1, 1]);
  assert.ok(s.val.every((i) => relative(root, i.path).startsWith('Validation/')));
  assert.deepEqual(counts(s.classes, s.train), [7, 7]);
});

test('a test class that training lacks is an error; test = train is an error', async (t) => {
  const root = await tempDir(t);
  await classFolders(join(root, 'tr'), { a: 3, b: 3 });
  await classFolders(join(root, 'te'), { a: 1, c: 1 });
  await assert.rejects(
    resolveSplits({ train: join(root, 'tr'), test: join(root, 'te'), seed: 1 }),
    badInput(/Class folder "c" in .*te is not one of the training classes \(a, b\)/),
  );
  await assert.rejects(
    resolveSplits({ train: join(root, 'tr'), test: join(root, 'tr'), seed: 1 }),
    badInput(/is in both the train and the test split/),
  );
  await assert.rejects(resolveSplits({ train: join(root, 'tr'), seed: 1, testFraction: 1 }), badInput(/testFraction must be/));
  await assert.rejects(resolveSplits({ train: join(root, 'tr'), seed: 1, valFraction: -0.1 }), badInput(/valFraction must be/));
});

test('an explicit test set (folder) keeps the training class order', async (t) => {
  const root = await tempDir(t);
  await classFolders(join(root, 'tr'), { '10': 3, '2': 3 });
  await classFolders(join(root, 'te'), { '10': 2 });
  const s = await resolveSplits({ train: join(root, 'tr'), test: join(root, 'te'), seed: 1, valFraction: 0 });
  assert.equal(s.source, 'folders');
  assert.deepEqual(s.classes, ['2', '10']);
  assert.deepEqual(counts(s.classes, s.test), [0, 2]);
  assert.deepEqual(counts(s.classes, s.train), [3, 3]);
  assert.equal(s.val.length, 0);
});

test('stratified split: proportions per class, small classes, determinism', async (t) => {
  const root = await tempDir(t);
  await classFolders(root, { a: 50, b: 20, c: 7, d: 3, e: 2, f: 1 });
  const s = await resolveSplits({ train: root, seed: 42 });
  assert.equal(s.source, 'stratified');
  // test = round(n·0.3), at least 1 when n ≥ 2, never all: 15, 6, 2, 1, 1, 0.
  assert.deepEqual(counts(s.classes, s.test), [15, 6, 2, 1, 1, 0]);
  // val = round(rest·0.1) with the same rules: 35→4, 14→1, 5→1, 2→1, 1→0, 1→0.
  assert.deepEqual(counts(s.classes, s.val), [4, 1, 1, 1, 0, 0]);
  assert.deepEqual(counts(s.classes, s.train), [31, 13, 4, 1, 1, 1]);
  // Disjoint and complete.
  const all = [...s.train, ...s.val, ...s.test].map((i) => i.path);
  assert.equal(new Set(all).size, 83);
  // Same seed → same split; another seed → another split.
  const again = await resolveSplits({ train: root, seed: 42 });
  assert.deepEqual(again, s);
  const other = await resolveSplits({ train: root, seed: 43 });
  assert.notDeepEqual(other.test, s.test);
  // Each split lists items by label, then path.
  for (const split of [s.train, s.val, s.test]) {
    const labels = split.map((i) => i.label);
    assert.deepEqual(labels, [...labels].sort((x, y) => x - y));
  }
});

test('stratifiedSplit: per-class seeding — growing one class leaves the others as they were', () => {
  const make = (nA: number, nB: number): ImageItem[] => [
    ...Array.from({ length: nA }, (_, i) => ({ path: `/a/${i}`, label: 0 })),
    ...Array.from({ length: nB }, (_, i) => ({ path: `/b/${i}`, label: 1 })),
  ];
  const one = stratifiedSplit(make(20, 10), 2, 0.3, 7, ['a', 'b']);
  const two = stratifiedSplit(make(20, 40), 2, 0.3, 7, ['a', 'b']);
  assert.deepEqual(one.taken.filter((i) => i.label === 0), two.taken.filter((i) => i.label === 0));
  assert.equal(stratifiedSplit(make(20, 10), 2, 0, 7).taken.length, 0);
});

test('a CSV training set with a folder test set (levels ↔ numbered folders)', async (t) => {
  const root = await tempDir(t);
  const png = await solidPng(1, 1, 1);
  await writeTree(root, {
    'imgs/x1.png': png, 'imgs/x2.png': png, 'imgs/y1.png': png, 'imgs/y2.png': png,
    'labels.csv': 'image,level\nimgs/x1,0\nimgs/x2,0\nimgs/y1,1\nimgs/y2,1\n',
    'test/0_no_dr/t.png': png,
    'test/1_mild/u.png': png,
  });
  const s = await resolveSplits({ train: join(root, 'labels.csv'), test: join(root, 'test'), seed: 5, valFraction: 0 });
  assert.deepEqual(s.classes, ['0', '1']);
  assert.deepEqual(counts(s.classes, s.test), [1, 1]);
  assert.deepEqual(counts(s.classes, s.train), [2, 2]);
});

const retina = sharedData('retinamnist28');

test('real data: retinamnist28 root = train/ + val/ folders, test stratified from train', { skip: retina.skip }, async () => {
  const s = await resolveSplits({ train: retina.path, seed: 0 });
  assert.equal(s.source, 'stratified');
  assert.deepEqual(s.classes, ['0_no_dr', '1_mild', '2_moderate', '3_severe', '4_proliferative']);
  assert.deepEqual(counts(s.classes, s.val), [54, 12, 28, 20, 6]);
  assert.deepEqual(counts(s.classes, s.test), [146, 38, 62, 58, 20]);
  assert.deepEqual(counts(s.classes, s.train), [340, 90, 144, 136, 46]);
  assert.equal(s.skipped.length, 0);
});
