/**
 * A small BMP decoder. Why: sharp's prebuilt libvips has no BMP loader, but Windows tools and
 * some public datasets still produce .bmp files.
 * Supports uncompressed (BI_RGB) 1/4/8-bit palette, 16/24/32-bit, and BI_BITFIELDS /
 * BI_ALPHABITFIELDS 16/32-bit; bottom-up and top-down. RLE, JPEG/PNG-in-BMP and OS/2 v2 are refused.
 */

/** Decoded BMP pixels: `channels` interleaved bytes per pixel, rows top to bottom. */
export interface BmpImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

/** True when the buffer starts with the BMP signature "BM". */
export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

const MAX_PIXELS = 0x3fff * 0x3fff; // sharp's own default input limit

/** Decodes a BMP file; throws Error with a plain-words message when it is unsupported or broken. */
export function decodeBmp(buf: Uint8Array): BmpImage {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (n: number) => {
    if (buf.length < n) throw new Error('truncated BMP file');
  };
  need(26);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = 0;
  let paletteSize = 0;
  let paletteEntryBytes = 4;
  let masks: [number, number, number, number] | undefined;
  if (headerSize === 12) {
    // OS/2 BITMAPCOREHEADER
    width = view.getUint16(18, true);
    height = view.getInt16(20, true);
    bpp = view.getUint16(24, true);
    paletteEntryBytes = 3;
  } else if (headerSize >= 40) {
    need(14 + 40);
    width = view.getInt32(18, true);
    height = view.getInt32(22, true);
    bpp = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    paletteSize = view.getUint32(46, true);
    if (compression === 3 || compression === 6) {
      // Masks follow the 40-byte header (or are part of a V2+ header).
      need(14 + 40 + 16);
      masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true), 0];
      if (compression === 6 || headerSize >= 56) masks[3] = view.getUint32(66, true);
    }
  } else {
    throw new Error(`unsupported BMP header (size ${headerSize})`);
  }
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new Error(`unsupported BMP compression (${compression}); save it as PNG`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height === 0 || width * height > MAX_PIXELS) throw new Error(`bad BMP size ${width}x${height}`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new Error(`unsupported BMP bit depth ${bpp}`);

  // Palette (bpp <= 8): BGR(X) entries right after the header (+ masks for BITFIELDS in a 40-byte header).
  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const count = paletteSize || 1 << bpp;
    const start = 14 + headerSize;
    need(start + count * paletteEntryBytes);
    palette = new Uint8Array(count * 3);
    for (let i = 0; i < count; i++) {
      const p = start + i * paletteEntryBytes;
      palette[i * 3] = buf[p + 2]!;
      palette[i * 3 + 1] = buf[p + 1]!;
      palette[i * 3 + 2] = buf[p]!;
    }
  }
  if (!masks && bpp === 16) masks = [0x7c00, 0x03e0, 0x001f, 0];
  if (!masks && bpp === 32) masks = [0x00ff0000, 0x0000ff00, 0x000000ff, 0]; // BI_RGB 32-bit: 4th byte unused
  const hasAlpha = masks !== undefined && masks[3] !== 0;
  const channels = hasAlpha ? 4 : 3;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  need(dataOffset + stride * height);

  const out = new Uint8Array(width * height * channels);
  const fields = masks?.map(maskField);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bit = x * bpp;
        const byte = buf[row + (bit >> 3)]!;
        const idx = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        if (idx * 3 + 2 >= palette.length) throw new Error('BMP palette index out of range');
        out[o] = palette[idx * 3]!;
        out[o + 1] = palette[idx * 3 + 1]!;
        out[o + 2] = palette[idx * 3 + 2]!;
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = buf[p + 2]!;
        out[o + 1] = buf[p + 1]!;
        out[o + 2] = buf[p]!;
      } else {
        const v = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        for (let c = 0; c < channels; c++) out[o + c] = fields![c]!(v);
      }
    }
  }
  return { width, height, channels, data: out };
}

// A channel extractor for a bit mask, scaled to 0..255.
function maskField(mask: number): (v: number) => number {
  if (mask === 0) return () => 255;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (v) => Math.round((((v & mask) >>> shift) * 255) / max);
}
