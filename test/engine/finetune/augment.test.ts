// On-the-fly augmentation: seeded, reproducible, exact where it can be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyAugment, DEFAULT_AUGMENT, drawAugment, type AugmentConfig } from '../../../src/engine/finetune/index.js';
import { Rng } from '../../../src/engine/util/rng.js';

const SIZE = 16;
function image(seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: SIZE * SIZE * 3 }, () => Math.floor(rng.next() * 256));
}
const pixel = (img: Float32Array, x: number, y: number) => Array.from(img.subarray((y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3));
const none: AugmentConfig = { flip: false, rotate: 'none', shift: 0, zoom: 0, brightness: 0, contrast: 0 };

test('the same (seed, epoch, image) gives the same transform; another epoch or seed another one', () => {
  const a = drawAugment(DEFAULT_AUGMENT, 1, 3, 7, SIZE);
  assert.deepEqual(drawAugment(DEFAULT_AUGMENT, 1, 3, 7, SIZE), a);
  assert.notDeepEqual(drawAugment(DEFAULT_AUGMENT, 1, 4, 7, SIZE), a);
  assert.notDeepEqual(drawAugment(DEFAULT_AUGMENT, 2, 3, 7, SIZE), a);
  const img = image(1);
  assert.deepEqual(applyAugment(img, SIZE, a), applyAugment(img, SIZE, a));
  const out = applyAugment(img, SIZE, a);
  assert.ok(out.every((v) => v >= 0 && v <= 255));
  // Free rotation over many draws covers all directions.
  const angles = Array.from({ length: 200 }, (_, i) => drawAugment(DEFAULT_AUGMENT, 1, 1, i, SIZE).angle);
  assert.ok(Math.min(...angles) < 0.5 && Math.max(...angles) > 2 * Math.PI - 0.5);
});

test('identity, flips, 90° turns and whole-pixel shifts move pixels exactly (no resampling)', () => {
  const img = image(2);
  const p = drawAugment(none, 1, 1, 1, SIZE);
  assert.deepEqual(applyAugment(img, SIZE, p), img, 'no augmentation is the identity');
  const flipH = applyAugment(img, SIZE, { ...p, flipH: true });
  assert.deepEqual(pixel(flipH, 0, 5), pixel(img, SIZE - 1, 5));
  const flipV = applyAugment(img, SIZE, { ...p, flipV: true });
  assert.deepEqual(pixel(flipV, 3, 0), pixel(img, 3, SIZE - 1));
  const quarter = applyAugment(img, SIZE, { ...p, angle: Math.PI / 2 });
  const sorted = (a: Float32Array) => Array.from(a).sort((x, y) => x - y);
  assert.deepEqual(sorted(quarter), sorted(img), 'a 90° turn is a permutation of the pixels');
  assert.deepEqual(applyAugment(quarter, SIZE, { ...p, angle: (3 * Math.PI) / 2 }), img, '90° then 270° is the identity');
  const shifted = applyAugment(img, SIZE, { ...p, shiftX: 2, shiftY: -1 });
  assert.deepEqual(pixel(shifted, 5, 5), pixel(img, 3, 6));
  assert.deepEqual(pixel(shifted, 0, 3), [0, 0, 0], 'uncovered pixels are black (the fundus surround)');
  // rot90 mode draws whole multiples of 90° and whole-pixel shifts.
  for (let i = 0; i < 20; i++) {
    const q = drawAugment({ ...none, rotate: 'rot90', shift: 0.2, flip: true }, 5, 1, i, SIZE);
    assert.ok(Number.isInteger((q.angle / Math.PI) * 2) && Number.isInteger(q.shiftX) && Number.isInteger(q.shiftY));
  }
});

test('brightness and contrast act about the mean and are clamped', () => {
  const flat = new Float32Array(SIZE * SIZE * 3).fill(100);
  const p = drawAugment(none, 1, 1, 1, SIZE);
  assert.ok(applyAugment(flat, SIZE, { ...p, brightness: 20 }).every((v) => v === 120));
  assert.ok(applyAugment(flat, SIZE, { ...p, contrast: 1.5 }).every((v) => v === 100), 'contrast keeps a flat image');
  assert.ok(applyAugment(flat, SIZE, { ...p, brightness: 300 }).every((v) => v === 255));
});
