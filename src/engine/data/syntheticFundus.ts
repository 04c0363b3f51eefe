import { Rng } from '../util/rng.js';

/**
 * Renders SYNTHETIC fundus-like pictures for demos and tests — cartoons, not medical images.
 * An orange-red disc on black (the fundus), a bright optic disc, a darker macula, dark curved
 * vessels, and lesions whose number (and size) grow with the DR grade:
 * microaneurysms (tiny dark-red dots), haemorrhages (larger dark-red blots), hard exudates
 * (yellow spot clusters), cotton-wool spots (pale fuzzy patches), and for grade 4 tortuous new
 * vessels plus sometimes a large pre-retinal haemorrhage or pale fibrous tissue.
 * Brightness, hue, geometry and lesion counts vary per image and the count ranges of
 * neighbouring grades overlap, so the classes are learnable but not trivially separable.
 */

/** Lesion counts drawn for one picture (ground truth for tests). */
export interface SyntheticLesions {
  microaneurysms: number;
  haemorrhages: number;
  exudates: number;
  cottonWool: number;
  newVessels: number;
  preretinal: number;
}

/** One rendered picture: size×size×3 RGB bytes (HWC) and what was drawn. */
export interface SyntheticFundus {
  rgb: Uint8Array;
  lesions: SyntheticLesions;
}

type RGB = readonly [number, number, number];

/** Number of grades rendered (0 = no DR … 4 = proliferative). */
export const SYNTHETIC_GRADES = 5;

/**
 * Renders one picture of `grade` (0..4) at `size`×`size`; the same (grade, size, seed) always
 * gives the same bytes. Geometry is defined relative to the size, so any size from ~16 px works.
 */
export function renderSyntheticFundus(grade: number, size: number, seed: number): SyntheticFundus {
  if (!Number.isInteger(grade) || grade < 0 || grade >= SYNTHETIC_GRADES) throw new RangeError(`grade must be 0..4, got ${grade}`);
  if (!Number.isInteger(size) || size < 8) throw new RangeError(`size must be an integer ≥ 8, got ${size}`);
  const rng = new Rng(seed);
  const uni = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const intIn = (lo: number, hi: number) => lo + rng.int(hi - lo + 1); // inclusive
  const c = new Canvas(size);
  const s = size / 128; // lesion sizes are tuned at 128 px

  // Fundus disc and its colour.
  const cx = size / 2 + uni(-0.03, 0.03) * size;
  const cy = size / 2 + uni(-0.03, 0.03) * size;
  const R = size * uni(0.43, 0.48);
  const bright = uni(0.75, 1.15);
  const base: RGB = [uni(185, 235) * bright, uni(65, 105) * bright, uni(20, 45) * bright];
  const side = rng.next() < 0.5 ? -1 : 1; // optic disc on the left or right (left/right eye)
  const od = { x: cx + side * R * uni(0.35, 0.45), y: cy + R * uni(-0.08, 0.08), r: R * uni(0.12, 0.16) };
  const macula = { x: cx - side * R * uni(0.05, 0.15), y: cy + R * uni(-0.05, 0.05), r: R * uni(0.13, 0.2) };
  const waves = Array.from({ length: 3 }, () => ({ kx: uni(2, 6) / size, ky: uni(2, 6) / size, p: uni(0, 7), q: uni(0, 7), a: uni(0.02, 0.05) }));
  c.paintFundus(cx, cy, R, (x, y, d) => {
    let k = 1 - 0.35 * (d / R) ** 2;
    for (const w of waves) k *= 1 + w.a * Math.sin(w.kx * x * 6.28 + w.p) * Math.sin(w.ky * y * 6.28 + w.q);
    k *= 1 - 0.3 * Math.exp(-(((x - macula.x) ** 2 + (y - macula.y) ** 2) / macula.r ** 2));
    return [base[0] * k, base[1] * k, base[2] * k];
  });

  // Optic disc: a bright yellow-white glow with a paler cup.
  c.paintBlob(od.x, od.y, od.r * 1.25, [255, uni(200, 235), uni(130, 180)], 0.9);
  c.paintDisc(od.x, od.y, od.r * 0.45, [255, 245, 215], 0.5, od.r * 0.3);

  // Insideness test for lesions and vessels.
  const inside = (x: number, y: number, margin: number) => Math.hypot(x - cx, y - cy) < R * margin;
  const vesselColours: RGB[] = [
    [95 * bright, 18 * bright, 15 * bright],
    [145 * bright, 32 * bright, 24 * bright],
  ];

  // Main arcades (upper/lower temporal, upper/lower nasal) curving away from the disc.
  const tx = -side; // temporal direction, towards the macula
  const arcades = [
    { h: Math.atan2(-1, tx * 0.35), turn: tx * 1.7, len: R * uni(0.95, 1.2) },
    { h: Math.atan2(1, tx * 0.35), turn: -tx * 1.7, len: R * uni(0.95, 1.2) },
    { h: Math.atan2(-1, -tx * 0.6), turn: -tx * 0.8, len: R * uni(0.45, 0.6) },
    { h: Math.atan2(1, -tx * 0.6), turn: tx * 0.8, len: R * uni(0.45, 0.6) },
  ];
  arcades.forEach((a, i) => {
    const path = walk(od.x, od.y, a.h, a.turn, a.len, 0.06, Math.max(0.8, 1.3 * s), 0.55);
    c.paintStroke(clip(path), vesselColours[i % 2]!, 0.8);
    for (let b = intIn(1, 2); b > 0; b--) {
      const from = path[Math.floor(path.length * uni(0.3, 0.75))]!;
      const sub = walk(from.x, from.y, from.h + (rng.next() < 0.5 ? -1 : 1) * uni(0.4, 0.9), uni(-0.6, 0.6), R * uni(0.2, 0.35), 0.1, from.w * 0.7, 0.5);
      c.paintStroke(clip(sub), vesselColours[i % 2]!, 0.75);
    }
  });

  // Lesion counts by grade; ranges of neighbouring grades overlap on purpose.
  const lesions: SyntheticLesions = { microaneurysms: 0, haemorrhages: 0, exudates: 0, cottonWool: 0, newVessels: 0, preretinal: 0 };
  if (grade === 0) {
    lesions.microaneurysms = rng.next() < 0.6 ? 0 : intIn(1, 2);
  } else if (grade === 1) {
    lesions.microaneurysms = intIn(2, 6);
    lesions.haemorrhages = rng.next() < 0.3 ? 1 : 0;
    lesions.exudates = rng.next() < 0.25 ? 1 : 0;
  } else if (grade === 2) {
    lesions.microaneurysms = intIn(4, 10);
    lesions.haemorrhages = intIn(1, 4);
    lesions.exudates = intIn(1, 3);
    lesions.cottonWool = intIn(0, 1);
  } else {
    lesions.microaneurysms = intIn(6, 14);
    lesions.haemorrhages = intIn(4, 9);
    lesions.exudates = intIn(2, 5);
    lesions.cottonWool = intIn(1, 3);
    if (grade === 4) {
      lesions.newVessels = intIn(3, 6);
      lesions.preretinal = rng.next() < 0.35 ? 1 : 0;
    }
  }
  const grow = 1 + 0.1 * grade; // lesions also get a little bigger with the grade

  // A random lesion position inside the fundus, away from the optic disc.
  const spot = (margin = 0.85): { x: number; y: number } => {
    for (;;) {
      const a = uni(0, Math.PI * 2);
      const r = R * margin * Math.sqrt(rng.next());
      const p = { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) };
      if (Math.hypot(p.x - od.x, p.y - od.y) > od.r * 1.4) return p;
    }
  };

  // Distractors in every grade: faint pale reflections that resemble exudates a little.
  for (let i = intIn(0, 3); i > 0; i--) {
    const p = spot();
    c.paintBlob(p.x, p.y, uni(1, 2.2) * s, [255, 205, 150], 0.3);
  }
  for (let i = 0; i < lesions.cottonWool; i++) {
    const p = spot(0.7);
    c.paintBlob(p.x, p.y, uni(2.5, 4.5) * s * grow, [238, 218, 192], 0.6);
  }
  for (let i = 0; i < lesions.exudates; i++) {
    const p = spot(0.75);
    for (let k = intIn(1, 5); k > 0; k--) {
      c.paintDisc(p.x + uni(-4, 4) * s, p.y + uni(-4, 4) * s, uni(0.7, 1.6) * s * grow, [250, uni(215, 235), uni(80, 120)], 0.85, 0.6 * s);
    }
  }
  for (let i = 0; i < lesions.microaneurysms; i++) {
    const p = spot();
    c.paintDisc(p.x, p.y, uni(0.6, 1.1) * s, [uni(100, 125) * bright, 10 * bright, 10 * bright], 0.9, 0.4 * s);
  }
  for (let i = 0; i < lesions.haemorrhages; i++) {
    const p = spot();
    const r = uni(1.5, 3) * s * grow;
    for (let k = intIn(2, 3); k > 0; k--) {
      c.paintDisc(p.x + uni(-r, r) * 0.6, p.y + uni(-r, r) * 0.6, r * uni(0.6, 1), [105 * bright, 12 * bright, 10 * bright], 0.85, 0.6 * s);
    }
  }
  for (let i = 0; i < lesions.newVessels; i++) {
    // Fine tortuous vessels near the disc (NVD) or along an arcade (NVE).
    const nearDisc = rng.next() < 0.5;
    const start = nearDisc
      ? { x: od.x + uni(-1.5, 1.5) * od.r, y: od.y + uni(-1.5, 1.5) * od.r }
      : spot(0.7);
    const path = walk(start.x, start.y, uni(0, Math.PI * 2), 0, R * uni(0.18, 0.32), 0.55, Math.max(0.5, 0.55 * s), 0.1);
    c.paintStroke(clip(path), [135 * bright, 20 * bright, 25 * bright], 0.85);
  }
  if (lesions.preretinal) {
    const p = spot(0.6);
    c.paintDisc(p.x, p.y, R * uni(0.1, 0.17), [85 * bright, 8 * bright, 8 * bright], 0.9, 1.5 * s);
  }
  if (grade === 4 && rng.next() < 0.5) c.paintBlob(od.x + uni(-1, 1) * od.r, od.y + uni(-1, 1) * od.r, od.r * 1.2, [225, 215, 200], 0.35);

  c.finish(cx, cy, R, rng);
  return { rgb: c.bytes(), lesions };

  // A path whose heading turns by `turn` radians in total, with random wander per step; width tapers.
  function walk(x: number, y: number, h: number, turn: number, len: number, wander: number, w0: number, taper: number) {
    const step = 0.7 * Math.max(s, 0.5);
    const n = Math.max(2, Math.round(len / step));
    const pts: { x: number; y: number; h: number; w: number }[] = [];
    for (let i = 0; i < n; i++) {
      pts.push({ x, y, h, w: w0 * (1 - taper * (i / n)) });
      h += turn / n + uni(-wander, wander);
      x += Math.cos(h) * step;
      y += Math.sin(h) * step;
    }
    return pts;
  }
  // Stops a path where it would leave the fundus.
  function clip<P extends { x: number; y: number }>(pts: P[]): P[] {
    const end = pts.findIndex((p) => !inside(p.x, p.y, 0.96));
    return end < 0 ? pts : pts.slice(0, end);
  }
}

/** A float RGB canvas with the few soft-edged primitives the renderer needs. */
class Canvas {
  readonly px: Float32Array;
  private readonly mask: Float32Array;
  constructor(readonly size: number) {
    this.px = new Float32Array(size * size * 3);
    this.mask = new Float32Array(size * size);
  }

  /** Fills the fundus disc (antialiased edge) with colours from `shade(x, y, distance)`. */
  paintFundus(cx: number, cy: number, R: number, shade: (x: number, y: number, d: number) => RGB): void {
    const n = this.size;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        const a = clamp01(R + 0.5 - d);
        if (a <= 0) continue;
        const col = shade(x + 0.5, y + 0.5, d);
        const o = (y * n + x) * 3;
        for (let k = 0; k < 3; k++) this.px[o + k] = col[k]! * a;
      }
    }
  }

  /** A filled disc with a soft edge `soft` px wide. */
  paintDisc(cx: number, cy: number, r: number, col: RGB, opacity: number, soft: number): void {
    const f = Math.max(soft, 0.5);
    this.region(cx, cy, r + f + 1, (d) => opacity * clamp01((r + f / 2 - d) / f), col);
  }

  /** A Gaussian-falloff blob (glows, fuzzy patches). */
  paintBlob(cx: number, cy: number, r: number, col: RGB, opacity: number): void {
    this.region(cx, cy, r * 2.5, (d) => opacity * Math.exp(-((d / r) ** 2)), col);
  }

  /** A stroke through `pts` (radius `w` each), rasterised as one coverage mask then blended once. */
  paintStroke(pts: readonly { x: number; y: number; w: number }[], col: RGB, opacity: number): void {
    if (pts.length === 0) return;
    const n = this.size;
    let x0 = n, y0 = n, x1 = -1, y1 = -1;
    for (const p of pts) {
      const ext = p.w + 1.5;
      const ax = Math.max(0, Math.floor(p.x - ext)), bx = Math.min(n - 1, Math.ceil(p.x + ext));
      const ay = Math.max(0, Math.floor(p.y - ext)), by = Math.min(n - 1, Math.ceil(p.y + ext));
      x0 = Math.min(x0, ax); x1 = Math.max(x1, bx); y0 = Math.min(y0, ay); y1 = Math.max(y1, by);
      for (let y = ay; y <= by; y++) {
        for (let x = ax; x <= bx; x++) {
          const d = Math.hypot(x + 0.5 - p.x, y + 0.5 - p.y);
          const a = clamp01(p.w + 0.5 - d);
          const i = y * n + x;
          if (a > this.mask[i]!) this.mask[i] = a;
        }
      }
    }
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const i = y * n + x;
        const a = this.mask[i]! * opacity;
        if (a > 0) this.blend(i * 3, col, a);
        this.mask[i] = 0;
      }
    }
  }

  /** Adds fine sensor-like noise inside the fundus and blacks out everything outside it. */
  finish(cx: number, cy: number, R: number, rng: Rng): void {
    const n = this.size;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const o = (y * n + x) * 3;
        const a = clamp01(R + 0.5 - Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
        if (a <= 0) {
          this.px[o] = this.px[o + 1] = this.px[o + 2] = 0;
          continue;
        }
        const g = (rng.next() + rng.next() + rng.next() - 1.5) * 6;
        for (let k = 0; k < 3; k++) this.px[o + k] = (this.px[o + k]! + g * a + (rng.next() - 0.5) * 3 * a) * a;
      }
    }
  }

  /** The canvas as bytes (rounded, clamped to 0..255). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.px.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(this.px[i]!)));
    return out;
  }

  private region(cx: number, cy: number, reach: number, alpha: (d: number) => number, col: RGB): void {
    const n = this.size;
    const ax = Math.max(0, Math.floor(cx - reach)), bx = Math.min(n - 1, Math.ceil(cx + reach));
    const ay = Math.max(0, Math.floor(cy - reach)), by = Math.min(n - 1, Math.ceil(cy + reach));
    for (let y = ay; y <= by; y++) {
      for (let x = ax; x <= bx; x++) {
        const a = alpha(Math.hypot(x + 0.5 - cx, y + 0.5 - cy));
        if (a > 0) this.blend((y * n + x) * 3, col, a);
      }
    }
  }

  private blend(o: number, col: RGB, a: number): void {
    for (let k = 0; k < 3; k++) this.px[o + k] = this.px[o + k]! * (1 - a) + col[k]! * a;
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
