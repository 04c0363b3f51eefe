import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBmp, isBmp } from '../../../src/engine/data/bmp.js';
import { bgrRow, bmpFile } from './bmpFixtures.js';

const R: [number, number, number] = [255, 0, 0];
const G: [number, number, number] = [0, 255, 0];
const B: [number, number, number] = [0, 0, 255];
const W: [number, number, number] = [255, 255, 255];

test('24-bit BMP, bottom-up and top-down, with row padding', () => {
  for (const topDown of [false, true]) {
    const buf = bmpFile({ width: 3, height: 2, bpp: 24, topDown, rows: [bgrRow([R, G, B]), bgrRow([W, R, G])] });
    assert.ok(isBmp(buf));
    const img = decodeBmp(buf);
    assert.deepEqual([img.width, img.height, img.channels], [3, 2, 3]);
    assert.deepEqual([...img.data], [...R, ...G, ...B, ...W, ...R, ...G]);
  }
});

test('8-bit and 1-bit palette BMPs', () => {
  const img8 = decodeBmp(bmpFile({ width: 2, height: 2, bpp: 8, palette: [R, G, B], rows: [[0, 1], [2, 0]] }));
  assert.deepEqual([...img8.data], [...R, ...G, ...B, ...R]);
  const img1 = decodeBmp(bmpFile({ width: 3, height: 1, bpp: 1, palette: [[0, 0, 0], W], rows: [[0b10100000]] }));
  assert.deepEqual([...img1.data], [...W, 0, 0, 0, ...W]);
});

test('32-bit BITFIELDS BMP with alpha', () => {
  const px = (r: number, g: number, b: number, a: number) => [b, g, r, a];
  const img = decodeBmp(bmpFile({
    width: 2, height: 1, bpp: 32, masks: [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000],
    rows: [[...px(10, 20, 30, 255), ...px(40, 50, 60, 0)]],
  }));
  assert.equal(img.channels, 4);
  assert.deepEqual([...img.data], [10, 20, 30, 255, 40, 50, 60, 0]);
});

test('unsupported or broken BMPs throw plain messages', () => {
  assert.throws(() => decodeBmp(bmpFile({ width: 1, height: 1, bpp: 8, compression: 1, palette: [R], rows: [[0]] })), /unsupported BMP compression/);
  const whole = bmpFile({ width: 4, height: 4, bpp: 24, rows: Array.from({ length: 4 }, () => bgrRow([R, R, R, R])) });
  assert.throws(() => decodeBmp(whole.subarray(0, whole.length - 10)), /truncated BMP/);
  assert.throws(() => decodeBmp(Buffer.from('BM')), /truncated BMP/);
  assert.ok(!isBmp(Buffer.from('PNG')));
});
