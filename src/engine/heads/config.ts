import { FttlError } from '../util/errors.js';
import type { HeadConfig, HeadKind } from './types.js';

export const HEAD_KINDS: readonly HeadKind[] = ['lr', 'mlp1', 'mlp2'];
const OPTIMIZERS: readonly HeadConfig['optimizer'][] = ['adadelta', 'adam', 'sgd'];

// Fields shared by every preset. LR ignores the MLP fields and vice versa; keeping them all
// present makes a config file self-describing and lets one switch `kind` without surprises.
const COMMON = {
  C: 1.0, // sklearn LogisticRegression() defaults
  maxIter: 100,
  tol: 1e-4,
  optimizer: 'adadelta' as const, // the seed's Keras 2 Adadelta: lr=1.0, rho=0.95, eps=1e-7
  learningRate: 1.0,
  epochs: 50,
  classWeight: 'none' as const,
  earlyStopping: null,
  seed: 42,
};

// The seed project's heads. Its mlp2 has no BatchNorm: Dense256 relu -> Dropout -> Dense128 relu -> Dropout -> softmax.
const PRESETS: Record<HeadKind, HeadConfig> = {
  lr: { ...COMMON, kind: 'lr', hidden: [], dropout: 0, batchNorm: false, batchSize: 32 },
  mlp1: { ...COMMON, kind: 'mlp1', hidden: [256], dropout: 0.5, batchNorm: true, batchSize: 32 },
  mlp2: { ...COMMON, kind: 'mlp2', hidden: [256, 128], dropout: 0.5, batchNorm: false, batchSize: 64 },
};

/** The seed's settings for `kind`, with `overrides` applied (and checked). */
export function headPreset(kind: HeadKind, overrides: Partial<HeadConfig> = {}): HeadConfig {
  if (!HEAD_KINDS.includes(kind)) bad(`"kind" must be one of ${HEAD_KINDS.join(', ')}, got ${show(kind)}.`);
  return validateHeadConfig({ ...PRESETS[kind], ...overrides, kind });
}

/**
 * Checks a config that came from a file or the command line. Only `kind` is required: missing
 * fields take that kind's preset; unknown fields are refused (they are usually typos).
 */
export function validateHeadConfig(raw: unknown): HeadConfig {
  if (!isRecord(raw)) bad(`expected an object, got ${show(raw)}.`);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !HEAD_KINDS.includes(kind as HeadKind)) {
    bad(`"kind" must be one of ${HEAD_KINDS.join(', ')}, got ${show(kind)}.`);
  }
  const base = PRESETS[kind as HeadKind];
  for (const key of Object.keys(raw)) {
    if (!(key in base)) bad(`unknown field "${key}" (known: ${Object.keys(base).join(', ')}).`);
  }
  const get = <K extends keyof HeadConfig>(key: K): unknown => (raw[key] === undefined ? base[key] : raw[key]);

  const cfg: HeadConfig = {
    kind: kind as HeadKind,
    C: num(get('C'), 'C', (v) => v > 0, 'a number > 0'),
    maxIter: int(get('maxIter'), 'maxIter', 1),
    tol: num(get('tol'), 'tol', (v) => v >= 0, 'a number >= 0'),
    hidden: hiddenUnits(get('hidden')),
    dropout: num(get('dropout'), 'dropout', (v) => v >= 0 && v < 1, 'a number in [0, 1)'),
    batchNorm: bool(get('batchNorm'), 'batchNorm'),
    optimizer: oneOf(get('optimizer'), 'optimizer', OPTIMIZERS),
    learningRate: num(get('learningRate'), 'learningRate', (v) => v > 0, 'a number > 0'),
    epochs: int(get('epochs'), 'epochs', 1),
    batchSize: int(get('batchSize'), 'batchSize', 1),
    classWeight: classWeight(get('classWeight')),
    earlyStopping: earlyStopping(get('earlyStopping')),
    seed: int(get('seed'), 'seed', 0, 2 ** 32 - 1),
  };
  if (cfg.kind !== 'lr' && cfg.hidden.length === 0) bad(`"hidden" must list at least one layer size for ${cfg.kind}.`);
  return cfg;
}

function hiddenUnits(v: unknown): number[] {
  if (!Array.isArray(v)) bad(`"hidden" must be an array of layer sizes, got ${show(v)}.`);
  return v.map((u, i) => int(u, `hidden[${i}]`, 1));
}

function classWeight(v: unknown): HeadConfig['classWeight'] {
  if (v === 'none' || v === 'balanced') return v;
  if (Array.isArray(v) && v.length > 0) {
    return v.map((w, i) => num(w, `classWeight[${i}]`, (x) => x >= 0, 'a number >= 0'));
  }
  return bad(`"classWeight" must be "none", "balanced" or an array of per-class weights, got ${show(v)}.`);
}

function earlyStopping(v: unknown): HeadConfig['earlyStopping'] {
  if (v === null) return null;
  if (!isRecord(v) || Object.keys(v).some((k) => k !== 'patience')) {
    bad(`"earlyStopping" must be null or { "patience": n }, got ${show(v)}.`);
  }
  return { patience: int(v.patience, 'earlyStopping.patience', 1) };
}

function num(v: unknown, name: string, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(`"${name}" must be ${what}, got ${show(v)}.`);
  return v;
}

function int(v: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    bad(`"${name}" must be an integer ${range}, got ${show(v)}.`);
  }
  return v;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') bad(`"${name}" must be true or false, got ${show(v)}.`);
  return v;
}

function oneOf<T extends string>(v: unknown, name: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T)) bad(`"${name}" must be one of ${allowed.join(', ')}, got ${show(v)}.`);
  return v as T;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function bad(msg: string): never {
  throw new FttlError('bad-input', `Head config: ${msg}`);
}
