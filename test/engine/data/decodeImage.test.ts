import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, decodeImageBuffer } from '../../../src/engine/data/decodeImage.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { bgrRow, bmpFile } from './bmpFixtures.js';
import { pixel, rawPng, tempDir } from './fixtures.js';

const badInput = (pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof FttlError, `expected FttlError, got ${String(e)}`);
  assert.equal(e.kind, 'bad-input');
  assert.match(e.message, pattern);
  return true;
};

const near = (actual: number[], expected: number[], tol: number, what: string) =>
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= tol, `${what}: got ${actual}, want ${expected} ±${tol}`));

// width×height RGB image whose pixel colour is fn(x, y).
function rgbImage(width: number, height: number, fn: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.set(fn(x, y), (y * width + x) * 3);
  return out;
}

async function save(dir: string, name: string, data: Uint8Array | Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}

test('RGB PNG at its own size is returned exactly, as HWC floats', async (t) => {
  const dir = await tempDir(t);
  const rgb = rgbImage(3, 3, (x, y) => [x * 100, y * 100, 7]);
  const out = await decodeImage(await save(dir, 'a.png', await rawPng(rgb, 3, 3)), 3, 'stretch');
  assert.ok(out instanceof Float32Array);
  assert.equal(out.length, 3 * 3 * 3);
  assert.deepEqual([...out], [...rgb]);
  assert.deepEqual(pixel(out, 3, 2, 1), [200, 100, 7]);
});

test('grayscale, RGBA (flattened onto black) and 16-bit PNGs become 8-bit RGB', async (t) => {
  const dir = await tempDir(t);
  const gray = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 100, g: 100, b: 100 } } })
    .toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(gray).metadata()).channels, 1);
  near(pixel(await decodeImage(await save(dir, 'g.png', gray), 2, 'stretch'), 2, 1, 1), [100, 100, 100], 0, 'gray');

  const rgba = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 200, g: 100, b: 50, alpha: 0.5 } } }).png().toBuffer();
  near(pixel(await decodeImage(await save(dir, 'a.png', rgba), 2, 'stretch'), 2, 0, 0), [100, 50, 25], 1, 'rgba');
  const clear = await sharp({ create: { width: 4, height: 4, channels: 4, background: { r: 255, g: 255, b: 255, alpha: 0 } } }).png().toBuffer();
  near(pixel(await decodeImage(await save(dir, 'c.png', clear), 2, 'stretch'), 2, 0, 0), [0, 0, 0], 0, 'transparent');

  const u16 = new Uint16Array(4 * 4 * 3);
  for (let i = 0; i < u16.length; i += 3) u16.set([65535, 0, 32896], i);
  const png16 = await sharp(u16, { raw: { width: 4, height: 4, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  assert.equal((await sharp(png16).metadata()).depth, 'ushort');
  const out16 = await decodeImage(await save(dir, 'd.png', png16), 4, 'stretch');
  near(pixel(out16, 4, 3, 3), [255, 0, 128], 0, '16-bit');
  assert.ok(out16.every((v) => v >= 0 && v <= 255));
});

test('CMYK JPEG is converted to sRGB', async (t) => {
  const dir = await tempDir(t);
  const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .toColourspace('cmyk').jpeg().toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  const [r, g, b] = pixel(await decodeImage(await save(dir, 'k.jpg', cmyk), 4, 'stretch'), 4, 2, 2);
  assert.ok(r > 180 && g < 60 && b < 80, `red stays red: ${[r, g, b]}`);
});

test('EXIF orientation is applied (JPEG tagged orientation 6 = rotate 90° clockwise)', async (t) => {
  const dir = await tempDir(t);
  // Stored 32×16: left half red, right half blue. Displayed (rotated CW) 16×32: red on top, blue below.
  const stored = rgbImage(32, 16, (x) => (x < 16 ? [255, 0, 0] : [0, 0, 255]));
  const jpg = await sharp(stored, { raw: { width: 32, height: 16, channels: 3 } })
    .jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
  assert.equal((await sharp(jpg).metadata()).orientation, 6);
  const out = await decodeImage(await save(dir, 'o.jpg', jpg), 16, 'stretch');
  near(pixel(out, 16, 2, 2), [255, 0, 0], 40, 'top-left');
  near(pixel(out, 16, 13, 2), [255, 0, 0], 40, 'top-right');
  near(pixel(out, 16, 2, 13), [0, 0, 255], 40, 'bottom-left');
  near(pixel(out, 16, 13, 13), [0, 0, 255], 40, 'bottom-right');
});

test('resize modes: stretch keeps everything, crop keeps the centre, pad adds black borders', async (t) => {
  const dir = await tempDir(t);
  // 40×20: x < 10 red, 10 ≤ x < 30 green, x ≥ 30 blue (the grey-free colours resample cleanly).
  const wide = rgbImage(40, 20, (x) => (x < 10 ? [255, 0, 0] : x < 30 ? [0, 255, 0] : [0, 0, 255]));
  const path = await save(dir, 'wide.png', await rawPng(wide, 40, 20));

  const stretch = await decodeImage(path, 20, 'stretch');
  near(pixel(stretch, 20, 1, 10), [255, 0, 0], 0, 'stretch left');
  near(pixel(stretch, 20, 10, 10), [0, 255, 0], 0, 'stretch centre');
  near(pixel(stretch, 20, 18, 10), [0, 0, 255], 0, 'stretch right');

  const crop = await decodeImage(path, 20, 'crop');
  for (const [x, y] of [[0, 0], [19, 0], [0, 19], [19, 19], [10, 10]] as const) {
    near(pixel(crop, 20, x, y), [0, 255, 0], 0, `crop (${x},${y}) is the green centre`);
  }

  const pad = await decodeImage(path, 20, 'pad');
  for (let x = 0; x < 20; x++) {
    near(pixel(pad, 20, x, 0), [0, 0, 0], 0, `pad top border x=${x}`);
    near(pixel(pad, 20, x, 19), [0, 0, 0], 0, `pad bottom border x=${x}`);
  }
  near(pixel(pad, 20, 1, 10), [255, 0, 0], 0, 'pad keeps the left edge');
  near(pixel(pad, 20, 18, 10), [0, 0, 255], 0, 'pad keeps the right edge');
  near(pixel(pad, 20, 10, 10), [0, 255, 0], 0, 'pad centre');
});

test('downscaling a large image averages (bilinear, anti-aliased) instead of sampling', async (t) => {
  const dir = await tempDir(t);
  // 1-px black/white stripes: nearest-neighbour sampling would give pure black or white.
  const stripes = rgbImage(64, 64, (x) => (x % 2 ? [255, 255, 255] : [0, 0, 0]));
  const out = await decodeImage(await save(dir, 's.png', await rawPng(stripes, 64, 64)), 8, 'stretch');
  near(pixel(out, 8, 4, 4), [128, 128, 128], 20, 'averaged grey');
});

test('TIFF, WebP and BMP decode too', async (t) => {
  const dir = await tempDir(t);
  const base = sharp({ create: { width: 6, height: 6, channels: 3, background: { r: 10, g: 200, b: 30 } } });
  near(pixel(await decodeImage(await save(dir, 'a.tif', await base.clone().tiff().toBuffer()), 3, 'crop'), 3, 1, 1), [10, 200, 30], 0, 'tiff');
  near(pixel(await decodeImage(await save(dir, 'a.webp', await base.clone().webp({ lossless: true }).toBuffer()), 3, 'pad'), 3, 1, 1), [10, 200, 30], 0, 'webp');
  const bmp = bmpFile({ width: 2, height: 2, bpp: 24, rows: [bgrRow([[255, 0, 0], [0, 255, 0]]), bgrRow([[0, 0, 255], [255, 255, 255]])] });
  const out = await decodeImage(await save(dir, 'a.bmp', bmp), 2, 'stretch');
  assert.deepEqual([...out], [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
});

test('corrupt, truncated, empty and missing files → FttlError naming the path', async (t) => {
  const dir = await tempDir(t);
  const junk = await save(dir, 'junk.png', randomBytes(512));
  await assert.rejects(decodeImage(junk, 8, 'stretch'), badInput(new RegExp(`^${junk}: not an image or corrupt \\(.+\\)$`)));
  const empty = await save(dir, 'empty.png', Buffer.alloc(0));
  await assert.rejects(decodeImage(empty, 8, 'stretch'), badInput(new RegExp(`^${empty}: empty file \\(0 bytes\\)$`)));
  const noise = rgbImage(64, 64, (x, y) => [(x * 37 + y * 11) % 256, (x * y) % 256, (x + y * 53) % 256]);
  const png = await rawPng(noise, 64, 64);
  const cut = await save(dir, 'cut.png', png.subarray(0, Math.floor(png.length / 2)));
  await assert.rejects(decodeImage(cut, 8, 'stretch'), badInput(new RegExp(`^${cut}: truncated or corrupt image`)));
  const jpg = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } }).jpeg().toBuffer();
  const cutJpg = await save(dir, 'cut.jpg', jpg.subarray(0, Math.floor(jpg.length / 2)));
  await assert.rejects(decodeImage(cutJpg, 8, 'stretch'), badInput(new RegExp(`^${cutJpg}: truncated or corrupt image`)));
  const missing = join(dir, 'missing.png');
  await assert.rejects(decodeImage(missing, 8, 'stretch'), badInput(new RegExp(`^${missing}: file not found$`)));
  await assert.rejects(decodeImage(dir, 8, 'stretch'), badInput(/is a folder, not an image$/));
  const brokenBmp = await save(dir, 'b.bmp', Buffer.from('BM0000000000000000000000000000'));
  await assert.rejects(decodeImage(brokenBmp, 8, 'stretch'), badInput(new RegExp(`^${brokenBmp}: .*BMP`)));
});

test('decodeImageBuffer labels its errors', async () => {
  await assert.rejects(decodeImageBuffer(Buffer.from('nope'), 8, 'crop', 'upload #3'), badInput(/^upload #3: not an image or corrupt/));
  await assert.rejects(decodeImageBuffer(Buffer.from('nope'), 8, 'bogus' as 'crop'), badInput(/Unknown resize mode "bogus"/));
});
