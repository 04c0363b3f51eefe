// Small image helpers for the UI: thumbnails, grids and overlays as PNG data URLs (sharp).
import sharp from 'sharp';
import { decodeImage, type ResizeMode } from '../engine/data/decodeImage.js';

export async function pngDataUrl(rgb: Uint8Array | Uint8ClampedArray, width: number, height: number, channels: 1 | 3 = 3): Promise<string> {
  const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** RGB bytes of an image file as the engine decodes it (any format the engine reads), size×size. */
export async function decodeRgb(path: string, size: number, mode: ResizeMode): Promise<Uint8Array> {
  const floats = await decodeImage(path, size, mode);
  const out = new Uint8Array(floats.length);
  for (let i = 0; i < floats.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(floats[i]!)));
  return out;
}

export async function thumbnail(path: string, size: number): Promise<string> {
  const rgb = await decodeRgb(path, size, 'pad');
  return pngDataUrl(rgb, size, size);
}
