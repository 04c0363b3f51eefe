// Hand-built BMP files for the decoder tests (sharp cannot write BMP).

/** A BMP with a 40-byte (or `headerSize`) info header; `rows` are the raw pixel rows, top row first. */
export function bmpFile(opts: {
  width: number;
  height: number;
  bpp: number;
  rows: number[][];
  topDown?: boolean;
  compression?: number;
  palette?: [number, number, number][];
  masks?: [number, number, number, number];
}): Buffer {
  const { width, height, bpp } = opts;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const headerSize = opts.masks ? 108 : 40;
  const paletteBytes = (opts.palette?.length ?? 0) * 4;
  const offset = 14 + headerSize + paletteBytes;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(headerSize, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(opts.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(opts.compression ?? (opts.masks ? 3 : 0), 30);
  buf.writeUInt32LE(opts.palette?.length ?? 0, 46);
  if (opts.masks) opts.masks.forEach((m, i) => buf.writeUInt32LE(m >>> 0, 54 + i * 4));
  opts.palette?.forEach(([r, g, b], i) => {
    const p = 14 + headerSize + i * 4;
    buf[p] = b;
    buf[p + 1] = g;
    buf[p + 2] = r;
  });
  opts.rows.forEach((row, y) => {
    const fileRow = opts.topDown ? y : height - 1 - y;
    Buffer.from(row).copy(buf, offset + fileRow * stride);
  });
  return buf;
}

/** Row bytes of a 24-bit BMP from RGB triples (BMP stores BGR). */
export function bgrRow(pixels: [number, number, number][]): number[] {
  return pixels.flatMap(([r, g, b]) => [b, g, r]);
}
