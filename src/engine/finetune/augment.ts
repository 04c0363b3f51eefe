import { deriveSeed } from '../data/deriveSeed.js';
import { Rng } from '../util/rng.js';
import type { AugmentConfig } from './config.js';

/** One image's random transform (drawn by drawAugment). */
export interface AugmentParams {
  flipH: boolean;
  flipV: boolean;
  /** Rotation, radians (counter-clockwise in image coordinates). */
  angle: number;
  scale: number;
  /** Shift in pixels (whole pixels unless the transform resamples anyway). */
  shiftX: number;
  shiftY: number;
  /** Added to every value (0..255 scale). */
  brightness: number;
  /** Contrast factor about the image mean. */
  contrast: number;
}

/**
 * The transform of image `item` in epoch `epoch`: a function of (seed, epoch, item) only, so a
 * run is reproducible whatever the batch size or order, and each epoch sees new variants.
 */
export function drawAugment(cfg: AugmentConfig, seed: number, epoch: number, item: number, size: number): AugmentParams {
  const rng = new Rng(deriveSeed(seed, `augment:${epoch}:${item}`));
  const uniform = (a: number, b: number) => a + (b - a) * rng.next();
  const flipH = cfg.flip && rng.next() < 0.5;
  const flipV = cfg.flip && rng.next() < 0.5;
  const angle = cfg.rotate === 'free' ? uniform(0, 2 * Math.PI) : cfg.rotate === 'rot90' ? (rng.int(4) * Math.PI) / 2 : 0;
  const scale = cfg.zoom > 0 ? uniform(1 - cfg.zoom, 1 + cfg.zoom) : 1;
  const resamples = cfg.rotate === 'free' || cfg.zoom > 0;
  const shift = () => {
    if (cfg.shift <= 0) return 0;
    const s = uniform(-cfg.shift, cfg.shift) * size;
    return resamples ? s : Math.round(s);
  };
  const shiftX = shift();
  const shiftY = shift();
  const brightness = cfg.brightness > 0 ? uniform(-cfg.brightness, cfg.brightness) * 255 : 0;
  const contrast = cfg.contrast > 0 ? uniform(1 - cfg.contrast, 1 + cfg.contrast) : 1;
  return { flipH, flipV, angle, scale, shiftX, shiftY, brightness, contrast };
}

/** Sample positions this close to a pixel centre read that pixel exactly (flips, 90° turns, whole-pixel shifts). */
const SNAP = 1e-4;

/**
 * Applies `p` to a size×size×3 HWC image (values 0..255): flips, rotation about the centre, zoom
 * and shift as one inverse-mapped affine warp with bilinear sampling (black outside the image),
 * then contrast about the image mean and brightness, clamped to 0..255. Returns a new array.
 */
export function applyAugment(src: Float32Array, size: number, p: AugmentParams): Float32Array {
  const out = new Float32Array(src.length);
  const c = size / 2;
  const cos = Math.cos(p.angle);
  const sin = Math.sin(p.angle);
  const texel = (x: number, y: number, ch: number) => (x < 0 || y < 0 || x >= size || y >= size ? 0 : src[(y * size + x) * 3 + ch]!);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output pixel centre relative to the image centre, then undo shift, zoom, rotation and flips.
      let u = (x + 0.5 - c - p.shiftX) / p.scale;
      let v = (y + 0.5 - c - p.shiftY) / p.scale;
      const ru = cos * u + sin * v;
      const rv = -sin * u + cos * v;
      u = p.flipH ? -ru : ru;
      v = p.flipV ? -rv : rv;
      const sx = u + c - 0.5;
      const sy = v + c - 0.5;
      const o = (y * size + x) * 3;
      const rx = Math.round(sx);
      const ry = Math.round(sy);
      if (Math.abs(sx - rx) < SNAP && Math.abs(sy - ry) < SNAP) {
        for (let ch = 0; ch < 3; ch++) out[o + ch] = texel(rx, ry, ch);
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let ch = 0; ch < 3; ch++) {
        const top = texel(x0, y0, ch) * (1 - fx) + texel(x0 + 1, y0, ch) * fx;
        const bottom = texel(x0, y0 + 1, ch) * (1 - fx) + texel(x0 + 1, y0 + 1, ch) * fx;
        out[o + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  if (p.brightness !== 0 || p.contrast !== 1) {
    let mean = 0;
    for (let i = 0; i < out.length; i++) mean += out[i]!;
    mean /= out.length;
    for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, (out[i]! - mean) * p.contrast + mean + p.brightness));
  }
  return out;
}
