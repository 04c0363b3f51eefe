import { HEAD_KINDS, type HeadKind } from '../heads/index.js';
import { FttlError } from '../util/errors.js';

/**
 * On-the-fly image augmentation (per image, per epoch, seeded). Fundus photos have no "up", so
 * flips and any rotation keep them realistic. Geometry is applied as one affine warp with bilinear
 * sampling and black fill (the fundus surround is black); then brightness and contrast.
 */
export interface AugmentConfig {
  /** Random horizontal and vertical flips (each with probability ½). */
  flip: boolean;
  /** 'rot90': a random multiple of 90° (exact, no resampling); 'free': any angle in [0°, 360°). */
  rotate: 'none' | 'rot90' | 'free';
  /** Largest shift, as a fraction of the image side, in each direction. */
  shift: number;
  /** Largest zoom change: the scale is drawn from [1 − zoom, 1 + zoom]. */
  zoom: number;
  /** Largest brightness change, as a fraction of 255, added to every pixel. */
  brightness: number;
  /** Largest contrast change: pixels are scaled about the image mean by a factor in [1 − c, 1 + c]. */
  contrast: number;
}

/** What `--augment` turns on. */
export const DEFAULT_AUGMENT: AugmentConfig = { flip: true, rotate: 'free', shift: 0.05, zoom: 0.1, brightness: 0.1, contrast: 0.1 };

/** Everything that decides how a fine-tune trains (the seed's preset, every field overridable). */
export interface FinetuneConfig {
  /**
   * How many of the backbone's last blocks are unfrozen: VGG-16 1–5 (1 = block5_conv1..3, as the
   * seed), MobileNet v1 1–13 (1 = conv_dw_13/conv_pw_13 + their BatchNorms), MobileNetV2 1–17
   * (1 = block_16 + Conv_1/Conv_1_bn). Everything before stays frozen.
   */
  blocks: number;
  /** Instead of `blocks`: the first trainable layer, by name (the only way for custom models). */
  fromLayer: string | null;
  /** Architecture of a randomly initialised head (FT#1); a head taken from a run keeps that run's. */
  head: HeadKind;
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  /** SGD momentum (Keras SGD(momentum=…), not Nesterov); ignored by Adam. */
  momentum: number;
  epochs: number;
  batchSize: number;
  /**
   * BatchNorm layers inside the unfrozen block: 'train' normalises with batch statistics and
   * updates the moving averages (what Keras' fit does with trainable BatchNorm); 'frozen' keeps
   * them in inference mode (gamma/beta still learn). Frozen-part BatchNorms always run in inference mode.
   */
  batchNorm: 'train' | 'frozen';
  classWeight: 'none' | 'balanced';
  /** null = no augmentation (the frozen part's outputs are then computed once and cached). */
  augment: AugmentConfig | null;
  seed: number;
}

/** The seed's fine-tuning settings: SGD lr 1e-4, momentum 0.9, 20 epochs, batch 32, last block. */
export const FINETUNE_PRESET: FinetuneConfig = {
  blocks: 1,
  fromLayer: null,
  head: 'mlp1',
  optimizer: 'sgd',
  learningRate: 1e-4,
  momentum: 0.9,
  epochs: 20,
  batchSize: 32,
  batchNorm: 'train',
  classWeight: 'none',
  augment: null,
  seed: 1,
};

/** The preset with `overrides` applied and every field checked (FttlError 'bad-input' naming the field). */
export function finetuneConfig(overrides: Partial<FinetuneConfig> = {}): FinetuneConfig {
  const known = new Set(Object.keys(FINETUNE_PRESET));
  for (const key of Object.keys(overrides)) if (!known.has(key)) bad(`unknown field "${key}".`);
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const c = { ...FINETUNE_PRESET, ...defined } as FinetuneConfig;
  int(c.blocks, 'blocks', 1);
  if (c.fromLayer !== null && (typeof c.fromLayer !== 'string' || c.fromLayer.trim() === '')) bad('"fromLayer" must be a layer name or null.');
  if (!HEAD_KINDS.includes(c.head)) bad(`"head" must be one of ${HEAD_KINDS.join(', ')}, got ${JSON.stringify(c.head)}.`);
  if (c.optimizer !== 'sgd' && c.optimizer !== 'adam') bad(`"optimizer" must be sgd or adam, got ${JSON.stringify(c.optimizer)}.`);
  pos(c.learningRate, 'learningRate');
  if (!(typeof c.momentum === 'number' && c.momentum >= 0 && c.momentum < 1)) bad(`"momentum" must be in [0, 1), got ${c.momentum}.`);
  int(c.epochs, 'epochs', 1);
  int(c.batchSize, 'batchSize', 1);
  if (c.batchNorm !== 'train' && c.batchNorm !== 'frozen') bad(`"batchNorm" must be train or frozen, got ${JSON.stringify(c.batchNorm)}.`);
  if (c.classWeight !== 'none' && c.classWeight !== 'balanced') bad(`"classWeight" must be none or balanced.`);
  int(c.seed, 'seed', 0, 2 ** 32 - 1);
  if (c.augment !== null) c.augment = checkAugment({ ...DEFAULT_AUGMENT, ...c.augment });
  return c;
}

function checkAugment(a: AugmentConfig): AugmentConfig {
  if (typeof a.flip !== 'boolean') bad('"augment.flip" must be true or false.');
  if (!['none', 'rot90', 'free'].includes(a.rotate)) bad('"augment.rotate" must be none, rot90 or free.');
  for (const k of ['shift', 'zoom', 'brightness', 'contrast'] as const) {
    if (!(typeof a[k] === 'number' && a[k] >= 0 && a[k] < 1)) bad(`"augment.${k}" must be in [0, 1), got ${a[k]}.`);
  }
  return a;
}

function int(v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) bad(`"${name}" must be an integer >= ${min}, got ${v}.`);
}

function pos(v: number, name: string): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) bad(`"${name}" must be a number > 0, got ${v}.`);
}

function bad(msg: string): never {
  throw new FttlError('bad-input', `Fine-tune config: ${msg}`);
}
