import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FttlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { deriveSeed } from './deriveSeed.js';
import { assertNoEmptyClass, loadDataset, type ImageItem, type SkippedFile } from './dataset.js';

/** Train / validation / test items over one class list. */
export interface Splits {
  classes: string[];
  train: ImageItem[];
  val: ImageItem[];
  test: ImageItem[];
  /**
   * Where the test split came from: 'folders' = given by the user (a `test/` folder beside
   * `train/`, or the `test` option, folder or CSV); 'stratified' = carved out of the training data.
   */
  source: 'folders' | 'stratified';
}

/** Options of resolveSplits. */
export interface ResolveSplitsOptions {
  /** A class-folder dataset, a label CSV, or a folder holding `train/` (+ optional `val/`, `test/`). */
  train: string;
  /** Explicit test set (folder or CSV); overrides a `test/` folder inside `train`. */
  test?: string;
  /** Explicit validation set (folder or CSV); overrides a `val/` folder inside `train`. */
  val?: string;
  seed: number;
  /** Share of each class held out as test when no test set is given. Default 0.3. */
  testFraction?: number;
  /** Share of each class of the (remaining) training data held out as validation when no val set is given. Default 0.1. */
  valFraction?: number;
}

/** Accepted names (lower case) of split sub-folders; more than one alias of one split is an error. */
const SPLIT_FOLDER_NAMES = {
  train: ['train', 'training'],
  val: ['val', 'valid', 'validation'],
  test: ['test', 'testing'],
} as const;

/**
 * Resolves the train / val / test splits of a dataset.
 *
 * - If `train` is a folder with a `train/` sub-folder, that is the training set and sibling
 *   `val/` and `test/` folders (if present) are the explicit val and test sets.
 * - An explicit `test` / `val` option (folder or CSV) is used as given (and wins over a sibling folder).
 *   Explicit sets are scanned with the training class order; a class the training set lacks is an error.
 * - Otherwise the test set is a stratified, seeded sample of `testFraction` of each class, and the
 *   validation set likewise `valFraction` of what remains (see stratifiedSplit for small classes).
 *
 * Deterministic for a seed and a set of files. Each split lists items by label, then path.
 * Errors (FttlError 'bad-input'): a fraction outside [0, 1), a file in two splits, a class with no
 * training image, plus every scan error of loadDataset.
 */
export async function resolveSplits(opts: ResolveSplitsOptions): Promise<Splits & { skipped: SkippedFile[] }> {
  const testFraction = checkFraction('testFraction', opts.testFraction ?? 0.3);
  const valFraction = checkFraction('valFraction', opts.valFraction ?? 0.1);
  const layout = await findSplitFolders(opts.train);

  const trainDs = await loadDataset(layout?.train ?? opts.train);
  const classes = trainDs.classes;
  const skipped: SkippedFile[] = [...trainDs.skipped];
  let pool = trainDs.items;

  let test: ImageItem[];
  let source: Splits['source'];
  const testSource = opts.test ?? layout?.test;
  if (testSource !== undefined) {
    const ds = await loadDataset(testSource, { classes });
    skipped.push(...ds.skipped);
    test = ds.items;
    source = 'folders';
    assertDisjoint({ train: pool, test }); // before val is carved out, so the message names train
  } else {
    const s = stratifiedSplit(pool, classes.length, testFraction, deriveSeed(opts.seed, 'test'), classes);
    pool = s.kept;
    test = s.taken;
    source = 'stratified';
  }

  let val: ImageItem[];
  const valSource = opts.val ?? layout?.val;
  if (valSource !== undefined) {
    const ds = await loadDataset(valSource, { classes });
    skipped.push(...ds.skipped);
    val = ds.items;
  } else {
    const s = stratifiedSplit(pool, classes.length, valFraction, deriveSeed(opts.seed, 'val'), classes);
    pool = s.kept;
    val = s.taken;
  }

  assertDisjoint({ train: pool, val, test });
  assertNoEmptyClass(classes, pool, 'the training split');
  return { classes, train: pool, val, test, source, skipped };
}

/**
 * Stratified seeded hold-out: per class, shuffles that class's items with an Rng seeded from
 * (seed, class name) and takes round(n × fraction) of them. Small classes: with fraction > 0 and
 * n ≥ 2 at least one is taken, and at least one is always kept — so a class of 1 image stays
 * whole in `kept`, and a class needs ≥ 3 images to appear in train, val and test.
 * Seeding per class name means adding images to one class does not reshuffle the others.
 * Both outputs keep the input's order.
 */
export function stratifiedSplit(
  items: readonly ImageItem[],
  numClasses: number,
  fraction: number,
  seed: number,
  classNames?: readonly string[],
): { kept: ImageItem[]; taken: ImageItem[] } {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  items.forEach((it, i) => byClass[it.label]!.push(i));
  const takenIdx = new Set<number>();
  byClass.forEach((idx, label) => {
    const n = idx.length;
    let k = Math.round(n * fraction);
    if (fraction > 0 && n >= 2 && k === 0) k = 1;
    k = Math.min(k, n - 1);
    if (k <= 0) return;
    const rng = new Rng(deriveSeed(seed, classNames?.[label] ?? String(label)));
    for (const i of rng.shuffle([...idx]).slice(0, k)) takenIdx.add(i);
  });
  const kept: ImageItem[] = [];
  const taken: ImageItem[] = [];
  items.forEach((it, i) => (takenIdx.has(i) ? taken : kept).push(it));
  return { kept, taken };
}

/**
 * If `dir` is a folder holding a `train/` (or `training/`) sub-folder, the paths of its split
 * folders; otherwise undefined (a plain class-folder dataset, or a CSV).
 */
export async function findSplitFolders(dir: string): Promise<{ train: string; val?: string; test?: string } | undefined> {
  let names: string[];
  try {
    names = (await readdir(resolve(dir), { withFileTypes: true }))
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return undefined; // not a folder: loadDataset reports what is wrong with it
  }
  const pick = (split: keyof typeof SPLIT_FOLDER_NAMES): string | undefined => {
    const hits = names.filter((n) => (SPLIT_FOLDER_NAMES[split] as readonly string[]).includes(n.toLowerCase()));
    if (hits.length > 1) {
      throw new FttlError('bad-input', `${resolve(dir)} has several ${split} folders (${hits.join(', ')}); keep one.`);
    }
    return hits[0] === undefined ? undefined : join(resolve(dir), hits[0]);
  };
  const train = pick('train');
  if (train === undefined) return undefined;
  const val = pick('val');
  const test = pick('test');
  return { train, ...(val !== undefined && { val }), ...(test !== undefined && { test }) };
}

function checkFraction(name: string, f: number): number {
  if (!Number.isFinite(f) || f < 0 || f >= 1) {
    throw new FttlError('bad-input', `${name} must be at least 0 and below 1 (got ${f}).`);
  }
  return f;
}

function assertDisjoint(splits: Partial<Record<'train' | 'val' | 'test', readonly ImageItem[]>>): void {
  const owner = new Map<string, string>();
  for (const [name, items] of Object.entries(splits)) {
    for (const it of items ?? []) {
      const prev = owner.get(it.path);
      if (prev !== undefined && prev !== name) {
        throw new FttlError('bad-input', `${it.path} is in both the ${prev} and the ${name} split; the splits must not share images.`);
      }
      owner.set(it.path, name);
    }
  }
}
