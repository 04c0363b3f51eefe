// Plain pixel data the webview and the HTML report draw, and the few ways FTTL makes it:
// grid layouts of tiles, min/max normalisation to 8 bits, a jet-like colormap, PNG encoding.
import sharp from 'sharp';
import { FttlError } from '../util/errors.js';

/** An 8-bit image, row-major, `channels` interleaved values per pixel (1 grey, 3 RGB, 4 RGBA). */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** How many rows and columns of tiles a picture of `count` tiles uses. */
export interface GridLayout {
  rows: number;
  cols: number;
}

/**
 * The grid for `count` tiles: the most nearly square exact factorisation rows × cols = count with
 * rows ≤ cols ≤ 2·rows when there is one (64 → 8×8, 24 → 4×6, 32 → 4×8, 128 → 8×16, 768 → 24×32),
 * otherwise cols = ⌈√count⌉ and rows = ⌈count / cols⌉ with the last row partly empty (3 → 2×2, 7 → 3×3).
 */
export function gridLayout(count: number): GridLayout {
  if (!Number.isInteger(count) || count < 0) throw new FttlError('internal', `gridLayout: bad tile count ${count}`);
  if (count === 0) return { rows: 0, cols: 0 };
  for (let rows = Math.floor(Math.sqrt(count)); rows >= 1; rows--) {
    if (count % rows !== 0) continue;
    const cols = count / rows;
    if (cols <= 2 * rows) return { rows, cols };
    break; // smaller divisors only get further from square
  }
  const cols = Math.ceil(Math.sqrt(count));
  return { rows: Math.ceil(count / cols), cols };
}

/**
 * Min/max normalisation of `values` to 0..255 (rounded): v ↦ round(255·(v − min)/(max − min)).
 * A constant block (max = min, e.g. a dead ReLU channel) becomes all 0. Writes into `out` at `offset`.
 */
export function normaliseInto(values: ArrayLike<number>, out: Uint8Array, offset = 0): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  if (!(range > 0) || !Number.isFinite(range)) {
    out.fill(0, offset, offset + values.length);
  } else {
    const s = 255 / range;
    for (let i = 0; i < values.length; i++) out[offset + i] = Math.round((values[i]! - min) * s);
  }
  return { min: values.length ? min : 0, max: values.length ? max : 0 };
}

export interface ComposeOptions {
  /** Pixels between tiles (default 1). */
  gap?: number;
  /** Value of the gaps and of empty cells (default 255: white lines). */
  background?: number;
  /** Each tile pixel becomes scale × scale pixels (nearest neighbour; default 1). */
  scale?: number;
}

/**
 * Lays `count` tiles (each tileHeight × tileWidth × channels, stored one after another in `tiles`)
 * out in `grid` order: row-major, tile i at row ⌊i / cols⌋, column i mod cols.
 */
export function composeTiles(
  tiles: Uint8Array,
  shape: { count: number; tileHeight: number; tileWidth: number; channels: 1 | 3 },
  grid: GridLayout,
  opts: ComposeOptions = {},
): RasterImage {
  const { count, tileHeight: th, tileWidth: tw, channels: ch } = shape;
  const gap = opts.gap ?? 1;
  const scale = opts.scale ?? 1;
  const background = opts.background ?? 255;
  if (!Number.isInteger(scale) || scale < 1) throw new FttlError('bad-input', `The tile scale must be a positive integer, got ${scale}.`);
  if (!Number.isInteger(gap) || gap < 0) throw new FttlError('bad-input', `The tile gap must be a non-negative integer, got ${gap}.`);
  if (tiles.length !== count * th * tw * ch) throw new FttlError('internal', `composeTiles: ${tiles.length} values for ${count} tiles of ${th}×${tw}×${ch}`);
  if (grid.rows * grid.cols < count) throw new FttlError('internal', `composeTiles: a ${grid.rows}×${grid.cols} grid cannot hold ${count} tiles`);
  const cellW = tw * scale;
  const cellH = th * scale;
  const width = Math.max(0, grid.cols * cellW + (grid.cols - 1) * gap);
  const height = Math.max(0, grid.rows * cellH + (grid.rows - 1) * gap);
  const data = new Uint8Array(width * height * ch).fill(background);
  for (let t = 0; t < count; t++) {
    const x0 = (t % grid.cols) * (cellW + gap);
    const y0 = Math.floor(t / grid.cols) * (cellH + gap);
    const base = t * th * tw * ch;
    for (let y = 0; y < cellH; y++) {
      const sy = Math.floor(y / scale);
      const row = ((y0 + y) * width + x0) * ch;
      for (let x = 0; x < cellW; x++) {
        const src = base + (sy * tw + Math.floor(x / scale)) * ch;
        const dst = row + x * ch;
        for (let c = 0; c < ch; c++) data[dst + c] = tiles[src + c]!;
      }
    }
  }
  return { width, height, channels: ch, data };
}

/** A PNG file of the image (sharp; lossless). */
export async function encodePng(image: RasterImage): Promise<Buffer> {
  if (image.width === 0 || image.height === 0) throw new FttlError('bad-input', 'Cannot encode an empty image as PNG.');
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).png().toBuffer();
}

/**
 * A jet-like colormap (MATLAB/OpenCV "jet": blue → cyan → yellow → red) for v in [0, 1]:
 * r = clip(1.5 − |4v − 3|), g = clip(1.5 − |4v − 2|), b = clip(1.5 − |4v − 1|), scaled to 0..255.
 */
export function jet(v: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0));
  const c = (d: number) => Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * x - d))));
  return [c(3), c(2), c(1)];
}

/**
 * Bilinear resize of a single-channel map (row-major) with half-pixel centres and clamped edges —
 * what OpenCV's cv2.resize (used by the Keras Grad-CAM example) and tf.image.resize(halfPixelCenters) do.
 */
export function resizeBilinear(src: ArrayLike<number>, height: number, width: number, outHeight: number, outWidth: number): Float32Array {
  const out = new Float32Array(outHeight * outWidth);
  const sy = height / outHeight;
  const sx = width / outWidth;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = fx - x0;
      const top = src[y0 * width + x0]! * (1 - wx) + src[y0 * width + x1]! * wx;
      const bottom = src[y1 * width + x0]! * (1 - wx) + src[y1 * width + x1]! * wx;
      out[y * outWidth + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/** An RGBA picture of a [0, 1] heat map in the jet colormap with constant alpha round(255·opacity). */
export function heatmapOverlay(heat: ArrayLike<number>, height: number, width: number, opacity = 0.5): RasterImage {
  const alpha = Math.round(255 * Math.min(1, Math.max(0, opacity)));
  const data = new Uint8Array(height * width * 4);
  for (let i = 0; i < height * width; i++) {
    const [r, g, b] = jet(heat[i]!);
    data[4 * i] = r;
    data[4 * i + 1] = g;
    data[4 * i + 2] = b;
    data[4 * i + 3] = alpha;
  }
  return { width, height, channels: 4, data };
}

/**
 * The RGB picture of an RGBA overlay drawn over an RGB image of the same size ("source over"):
 * out = overlay·a + image·(1 − a), a = overlay alpha / 255. `rgb` holds 0..255 values (floats allowed).
 */
export function blendOverlay(rgb: ArrayLike<number>, overlay: RasterImage): RasterImage {
  const n = overlay.width * overlay.height;
  if (overlay.channels !== 4) throw new FttlError('internal', 'blendOverlay: the overlay must be RGBA');
  if (rgb.length !== n * 3) throw new FttlError('internal', `blendOverlay: image has ${rgb.length / 3} pixels, overlay ${n}`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = overlay.data[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) {
      const v = overlay.data[4 * i + c]! * a + rgb[3 * i + c]! * (1 - a);
      data[3 * i + c] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
  return { width: overlay.width, height: overlay.height, channels: 3, data };
}
