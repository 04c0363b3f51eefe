import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { blendOverlay, composeTiles, encodePng, gridLayout, heatmapOverlay, jet, normaliseInto, resizeBilinear } from '../../../src/engine/visualize/raster.js';

test('gridLayout: the most square exact factorisation, else ⌈√n⌉ columns', () => {
  const cases: [number, number, number][] = [
    [64, 8, 8], [24, 4, 6], [32, 4, 8], [128, 8, 16], [96, 8, 12], [768, 24, 32], [512, 16, 32], [1024, 32, 32],
    [1, 1, 1], [2, 1, 2], [3, 2, 2], [5, 2, 3], [7, 3, 3], [0, 0, 0],
  ];
  for (const [n, rows, cols] of cases) assert.deepEqual(gridLayout(n), { rows, cols }, `n=${n}`);
  for (let n = 1; n <= 300; n++) {
    const g = gridLayout(n);
    assert.ok(g.rows * g.cols >= n && g.rows <= g.cols && (g.rows - 1) * g.cols < n, `n=${n}`);
  }
});

test('normaliseInto: min/max to 0..255; a constant block is 0', () => {
  const out = new Uint8Array(6).fill(7);
  assert.deepEqual(normaliseInto([-1, 0, 1], out, 1), { min: -1, max: 1 });
  assert.deepEqual([...out], [7, 0, 128, 255, 7, 7]);
  assert.deepEqual(normaliseInto([3, 3], out, 4), { min: 3, max: 3 });
  assert.deepEqual([...out.subarray(4)], [0, 0]);
});

test('composeTiles places tile i at row ⌊i/cols⌋, column i mod cols, with gaps and scale', () => {
  const tiles = Uint8Array.from([1, 2, 3, 4, 10, 20, 30, 40, 5, 6, 7, 8]); // three 2×2 tiles
  const img = composeTiles(tiles, { count: 3, tileHeight: 2, tileWidth: 2, channels: 1 }, { rows: 2, cols: 2 }, { gap: 1, background: 99 });
  assert.equal(img.width, 5);
  assert.equal(img.height, 5);
  const row = (y: number) => [...img.data.subarray(y * 5, y * 5 + 5)];
  assert.deepEqual(row(0), [1, 2, 99, 10, 20]);
  assert.deepEqual(row(1), [3, 4, 99, 30, 40]);
  assert.deepEqual(row(2), [99, 99, 99, 99, 99]);
  assert.deepEqual(row(3), [5, 6, 99, 99, 99]);
  const big = composeTiles(Uint8Array.from([1, 2, 3, 4]), { count: 1, tileHeight: 2, tileWidth: 2, channels: 1 }, { rows: 1, cols: 1 }, { scale: 2 });
  assert.deepEqual([...big.data], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('encodePng round-trips through sharp', async () => {
  const data = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 17) % 256);
  const png = await encodePng({ width: 4, height: 3, channels: 3, data });
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const back = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(back.info.width, 4);
  assert.deepEqual([...back.data], [...data]);
});

test('jet goes blue → green → red; overlay and blend', () => {
  assert.deepEqual(jet(0), [0, 0, 128]);
  assert.deepEqual(jet(0.5), [128, 255, 128]);
  assert.deepEqual(jet(1), [128, 0, 0]);
  const overlay = heatmapOverlay([0, 1], 1, 2, 0.5);
  assert.deepEqual([...overlay.data], [0, 0, 128, 128, 128, 0, 0, 128]);
  const blended = blendOverlay([100, 100, 100, 0, 0, 0], overlay);
  assert.deepEqual([...blended.data], [50, 50, 114, 64, 0, 0]);
});

test('resizeBilinear uses half-pixel centres (as cv2.resize / tf.image.resize)', () => {
  // 1×2 → 1×4: centres at -0.25, 0.25, 0.75, 1.25 in source pixels (clamped at the edges).
  assert.deepEqual([...resizeBilinear([0, 1], 1, 2, 1, 4)], [0, 0.25, 0.75, 1]);
  assert.deepEqual([...resizeBilinear([5], 1, 1, 2, 2)], [5, 5, 5, 5]);
});
