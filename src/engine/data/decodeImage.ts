import { readFile } from 'node:fs/promises';
import sharp, { type Sharp } from 'sharp';
import { FttlError } from '../util/errors.js';
import { decodeBmp, isBmp } from './bmp.js';

/**
 * How a photo is fitted into the model's square input:
 * - 'stretch': resize to size×size ignoring aspect ratio (sharp `fit: 'fill'`; the seed project's behaviour);
 * - 'crop': scale to cover the square, then keep the centre (`fit: 'cover'`);
 * - 'pad': scale to fit inside the square, black borders (`fit: 'contain'`) — black matches a fundus photo's surround.
 */
export type ResizeMode = 'stretch' | 'crop' | 'pad';

/** All resize modes, for option validation. */
export const RESIZE_MODES: readonly ResizeMode[] = ['stretch', 'crop', 'pad'];

/**
 * Interpolation kernel: libvips 'linear' (bilinear), like tf.image.resize's default — and, unlike
 * tf.image.resize, libvips widens the kernel when shrinking, so a large photo is anti-aliased
 * rather than sampled (Keras load_img's default 'nearest' would alias badly on 3000 px fundus photos).
 * Bilinear rather than cubic also avoids ringing when tiny images (28 px) are upscaled to 224.
 * (libvips's upsampling grid sits within half an output pixel of tf.image.resize's half-pixel
 * centres — immaterial for features as long as training and inference decode the same way.)
 */
export const RESIZE_KERNEL = 'linear' as const;

const FIT: Record<ResizeMode, 'fill' | 'cover' | 'contain'> = { stretch: 'fill', crop: 'cover', pad: 'contain' };
const BLACK = { r: 0, g: 0, b: 0, alpha: 1 };

/**
 * Decodes an image file into size×size×3 RGB floats (HWC, row-major, values 0..255).
 * See decodeImageBuffer. Any failure → FttlError('bad-input', `${path}: <reason>`).
 */
export async function decodeImage(path: string, size: number, mode: ResizeMode): Promise<Float32Array> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found'
      : code === 'EISDIR' ? 'is a folder, not an image'
      : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : `cannot read (${(err as Error).message})`;
    throw new FttlError('bad-input', `${path}: ${why}`, { cause: err });
  }
  return decodeImageBuffer(buf, size, mode, path);
}

/**
 * Decodes encoded image bytes (PNG, JPEG, TIFF, WebP, GIF, BMP, ...) into size×size×3 RGB floats
 * (HWC, values 0..255), in one sharp pipeline:
 * EXIF orientation applied → alpha flattened onto black → resized per `mode` → sRGB 8-bit
 * (grayscale expanded to 3 channels, 16-bit scaled to 0..255, CMYK converted via its ICC profile
 * or libvips's default CMYK profile).
 * Decoding fails on real errors and truncation, not on mere warnings (failOn 'error').
 * `label` (usually the path) starts every error message: FttlError('bad-input', `${label}: <reason>`).
 */
export async function decodeImageBuffer(
  buf: Buffer,
  size: number,
  mode: ResizeMode,
  label = 'image',
): Promise<Float32Array> {
  if (!Number.isInteger(size) || size <= 0) throw new FttlError('internal', `decodeImage: bad size ${size}`);
  if (!Object.hasOwn(FIT, mode)) throw new FttlError('bad-input', `Unknown resize mode "${mode}" (use ${RESIZE_MODES.join(', ')}).`);
  if (buf.length === 0) throw new FttlError('bad-input', `${label}: empty file (0 bytes)`);
  try {
    let input: Sharp;
    if (isBmp(buf)) {
      const bmp = decodeBmp(buf);
      input = sharp(bmp.data, { raw: { width: bmp.width, height: bmp.height, channels: bmp.channels } });
    } else {
      input = sharp(buf, { failOn: 'error' });
    }
    const { data, info } = await input
      .rotate() // EXIF orientation; a no-op without the tag
      .flatten({ background: BLACK })
      .resize(size, size, { fit: FIT[mode], position: 'centre', background: BLACK, kernel: RESIZE_KERNEL })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
      throw new Error(`unexpected decoded shape ${info.width}x${info.height}x${info.channels}`);
    }
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]!;
    return out;
  } catch (err) {
    if (err instanceof FttlError) throw err;
    throw new FttlError('bad-input', `${label}: ${plainReason((err as Error).message ?? String(err))}`, { cause: err });
  }
}

// Turns libvips's terse messages into something a user can act on, keeping the original in brackets.
function plainReason(msg: string): string {
  const m = msg.trim().split('\n')[0]!;
  if (/unsupported image format|bad seek|not a known file format/i.test(m)) return `not an image or corrupt (${m})`;
  if (/premature end|truncated|read error|unexpected end/i.test(m)) return `truncated or corrupt image (${m})`;
  if (/pixel limit/i.test(m)) return `image too large (${m})`;
  if (/BMP/.test(m)) return `unreadable BMP (${m})`;
  return `could not decode image (${m})`;
}
