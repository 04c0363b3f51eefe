import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  assertNoEmptyClass,
  countsByClass,
  fingerprint,
  loadDataset,
  scanCsv,
  scanFolder,
} from '../../../src/engine/data/dataset.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { sharedData } from '../../helpers/shared.js';
import { solidPng, tempDir, writeTree } from './fixtures.js';

const badInput = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FttlError, `expected FttlError, got ${String(e)}`);
  assert.equal(e.kind, 'bad-input');
  assert.match(e.message, pattern);
  return true;
};

test('scanFolder: natural class order, hidden / non-image files ignored, empty files skipped', async (t) => {
  const root = await tempDir(t);
  const png = await solidPng(10, 20, 30);
  await writeTree(root, {
    '10/a.png': png,
    '2/img10.jpg': png,
    '2/img9.JPEG': png,
    '2/.hidden.png': png,
    '2/notes.txt': 'not an image',
    '2/deeper/x.png': png,
    '1/x.webp': png,
    '1/empty.png': '',
    '.git/y.png': png,
    'README.md': 'hello',
  });
  const ds = await scanFolder(root);
  assert.equal(ds.root, root);
  assert.deepEqual(ds.classes, ['1', '2', '10']);
  assert.deepEqual(
    ds.items.map((i) => [relative(root, i.path), i.label]),
    [['1/x.webp', 0], ['2/img9.JPEG', 1], ['2/img10.jpg', 1], ['10/a.png', 2]],
  );
  assert.deepEqual(ds.skipped, [{ path: join(root, '1/empty.png'), reason: 'empty file (0 bytes)' }]);
  assert.deepEqual(countsByClass(ds), [1, 2, 1]);
});

test('scanFolder: an empty class folder is an error naming it', async (t) => {
  const root = await tempDir(t);
  await writeTree(root, { '0_no_dr/a.png': await solidPng(1, 2, 3), '3_severe/readme.txt': 'x' });
  await assert.rejects(scanFolder(root), badInput(/^Class "3_severe" has no usable images in /));
  await writeTree(root, { '3_severe/empty.png': '' });
  await assert.rejects(scanFolder(root), badInput(/Class "3_severe" has no usable images .*empty file/));
});

test('scanFolder: no images at all / loose images / missing folder are clear errors', async (t) => {
  const root = await tempDir(t);
  await assert.rejects(scanFolder(root), badInput(/No images found in .*one sub-folder per class/));
  await writeTree(root, { 'a.png': await solidPng(1, 2, 3) });
  await assert.rejects(scanFolder(root), badInput(/holds 1 images directly but no class sub-folders/));
  await assert.rejects(scanFolder(join(root, 'nope')), badInput(/Folder not found: .*nope/));
  // Pointed one level too high (root/train/<class>/...): the hint says so.
  const high = await tempDir(t);
  await writeTree(high, { 'train/a/x.png': await solidPng(1, 2, 3) });
  await assert.rejects(scanFolder(high), badInput(/Class "train" has no usable images .*one level too high/));
});

test('scanFolder with a given class order; unknown class folders are errors', async (t) => {
  const root = await tempDir(t);
  const png = await solidPng(1, 2, 3);
  await writeTree(root, { 'b/x.png': png, '0/y.png': png });
  const ds = await scanFolder(root, { classes: ['b', 'a', '0_zero'] });
  assert.deepEqual(ds.classes, ['b', 'a', '0_zero']);
  assert.deepEqual(ds.items.map((i) => i.label), [0, 2]); // "0" ↔ "0_zero"
  await assert.rejects(scanFolder(root, { classes: ['a'] }), badInput(/Class folder "0" in .* is not one of the training classes \(a\)/));
});

test('scanCsv: header case-insensitive, extensions optional, missing files listed, numeric class order', async (t) => {
  const root = await tempDir(t);
  const png = await solidPng(1, 2, 3);
  await writeTree(root, { 'img/a.png': png, 'img/b.jpeg': png, 'img/c.PNG': png, 'img/d.png': png, 'img/e.png': '' });
  const csv = join(root, 'labels.csv');
  await writeFile(
    csv,
    'Image,LEVEL,extra\nimg/a.png,10,x\nimg/b,2,y\nimg/c,2,z\nimg/missing,10,w\nimg/d.png, 2 ,v\nimg/d,2,dup\nimg/e,2,empty\n',
  );
  const ds = await scanCsv(csv, root);
  assert.equal(ds.root, root);
  assert.deepEqual(ds.classes, ['2', '10']);
  assert.deepEqual(
    ds.items.map((i) => [relative(root, i.path), i.label]),
    [['img/b.jpeg', 0], ['img/c.PNG', 0], ['img/d.png', 0], ['img/a.png', 1]],
  );
  assert.equal(ds.skipped.length, 3);
  assert.equal(ds.skipped[0]!.path, join(root, 'img/missing'));
  assert.match(ds.skipped[0]!.reason, new RegExp(`^${escape(csv)}:5: file not found \\(also tried .png`));
  assert.match(ds.skipped[1]!.reason, /:7: duplicate of line 6$/);
  assert.match(ds.skipped[2]!.reason, /:8: empty file \(0 bytes\)$/);
});

test('scanCsv: malformed rows fail with file:line', async (t) => {
  const root = await tempDir(t);
  await writeTree(root, { 'a.png': await solidPng(1, 2, 3), 'b.png': await solidPng(1, 2, 3) });
  const cases: [string, RegExp][] = [
    ['image,level\na.png,1\nb.png,x\n', /:3: level "x" is not a non-negative integer/],
    ['image,level\na.png,1\nb.png,1.5\n', /:3: level "1.5" is not a non-negative integer/],
    ['image,level\na.png,1\nb.png,-1\n', /:3: level "-1"/],
    ['image,level\na.png,1\n\nb.png,1,extra\n', /:4: expected 2 columns, found 3/],
    ['image,level\n,1\n', /:2: the image name is empty/],
    ['file,grade\na.png,1\n', /:1: the header must name the columns "image" and "level" \(found "file,grade"\)/],
    ['', /:1: empty file/],
    ['image,level\na.png,1\na.png,2\n', /:3: "a.png" is listed again with level 2 \(line 2 says 1\)/],
  ];
  for (const [text, pattern] of cases) {
    const csv = join(root, 'bad.csv');
    await writeFile(csv, text);
    await assert.rejects(scanCsv(csv, root), badInput(new RegExp(`^${escape(csv)}${pattern.source}`)), text);
  }
});

test('scanCsv: all rows missing → error; an emptied class → error; levels map onto training classes', async (t) => {
  const root = await tempDir(t);
  await writeTree(root, { 'a.png': await solidPng(1, 2, 3) });
  const csv = join(root, 'l.csv');
  await writeFile(csv, 'image,level\nnope1,0\nnope2,1\n');
  await assert.rejects(scanCsv(csv, root), badInput(/No usable images listed in .*2 skipped, e\.g\. .*:2: file not found/));
  await writeFile(csv, 'image,level\na,0\nnope2,1\n');
  await assert.rejects(scanCsv(csv, root), badInput(/Class "1" has no usable images in .*l\.csv/));
  await writeFile(csv, 'image,level\na,3\n');
  const ds = await scanCsv(csv, root, { classes: ['0_no_dr', '1_mild', '2_moderate', '3_severe'] });
  assert.deepEqual(ds.items.map((i) => i.label), [3]);
  await assert.rejects(scanCsv(csv, root, { classes: ['0', '1'] }), badInput(/:2: level "3" is not one of the training classes \(0, 1\)/));
});

test('loadDataset: folder or CSV (relative to its folder); anything else is an error', async (t) => {
  const root = await tempDir(t);
  const png = await solidPng(1, 2, 3);
  await writeTree(root, { 'data/0/a.png': png, 'data/1/b.png': png, 'labels.csv': 'image,level\ndata/0/a,0\ndata/1/b.png,1\n', 'x.txt': 'hi' });
  const fromFolder = await loadDataset(join(root, 'data'));
  const fromCsv = await loadDataset(join(root, 'labels.csv'));
  assert.deepEqual(fromCsv.items, fromFolder.items);
  assert.deepEqual(fromCsv.classes, fromFolder.classes);
  await assert.rejects(loadDataset(join(root, 'x.txt')), badInput(/expected a folder of class sub-folders or a \.csv/));
  await assert.rejects(loadDataset(join(root, 'nope')), badInput(/Dataset not found/));
});

test('fingerprint: stable, sensitive to labels / files / mtime, blind to moving the folder', async (t) => {
  const base = await tempDir(t);
  const root = join(base, 'ds');
  const png = await solidPng(1, 2, 3);
  await writeTree(root, { 'a/1.png': png, 'a/2.png': png, 'b/3.png': png });
  const ds = await scanFolder(root);
  const fp = fingerprint(ds);
  assert.match(fp, /^[0-9a-f]{32}$/);
  assert.equal(fingerprint(await scanFolder(root)), fp);
  assert.notEqual(fingerprint({ ...ds, items: ds.items.map((i) => ({ ...i, label: 1 - i.label })) }), fp);
  assert.notEqual(fingerprint({ ...ds, items: ds.items.slice(1) }), fp);
  assert.notEqual(fingerprint({ ...ds, classes: ['x', 'b'] }), fp);
  await rename(root, join(base, 'moved'));
  assert.equal(fingerprint(await scanFolder(join(base, 'moved'))), fp);
  await utimes(join(base, 'moved/a/1.png'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  assert.notEqual(fingerprint(await scanFolder(join(base, 'moved'))), fp);
  await assert.rejects(async () => fingerprint(ds), badInput(/no longer readable/));
});

test('assertNoEmptyClass names the first empty class and where', () => {
  assert.doesNotThrow(() => assertNoEmptyClass(['a', 'b'], [{ path: '/x', label: 0 }, { path: '/y', label: 1 }], 'w'));
  assert.throws(
    () => assertNoEmptyClass(['0_no_dr', '3_severe'], [{ path: '/x', label: 0 }], 'the training split'),
    badInput(/^Class "3_severe" has no usable images in the training split$/),
  );
});

const retina = sharedData('retinamnist28');

test('real data: retinamnist28 via folders and via CSV gives the same items', { skip: retina.skip }, async () => {
  const train = await scanFolder(join(retina.path, 'train'));
  assert.deepEqual(train.classes, ['0_no_dr', '1_mild', '2_moderate', '3_severe', '4_proliferative']);
  assert.deepEqual(countsByClass(train), [486, 128, 206, 194, 66]);
  assert.equal(train.skipped.length, 0);
  const csv = await scanCsv(join(retina.path, 'train_labels.csv'), retina.path);
  assert.deepEqual(csv.classes, ['0', '1', '2', '3', '4']);
  assert.deepEqual(csv.items, train.items);
  assert.equal(csv.skipped.length, 0);
  assert.deepEqual(await loadDataset(join(retina.path, 'train_labels.csv')), csv);
  const val = await scanFolder(join(retina.path, 'val'), { classes: train.classes });
  assert.deepEqual(countsByClass(val), [54, 12, 28, 20, 6]);
  // A Kaggle CSV mapped onto the folder class names.
  const valCsv = await scanCsv(join(retina.path, 'val_labels.csv'), retina.path, { classes: train.classes });
  assert.deepEqual(valCsv.items, val.items);
  assert.notEqual(fingerprint(train), fingerprint(val));
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
