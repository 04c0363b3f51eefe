import { FttlError } from '../util/errors.js';
import type { FeatureMatrix, HeadConfig } from './types.js';

/** Refuses a feature matrix / label vector pair that cannot train a head, saying what is wrong. */
export function checkTrainingData(x: FeatureMatrix, y: Int32Array, numClasses: number, what = 'training'): void {
  checkMatrix(x, what);
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new FttlError('bad-input', `numClasses must be an integer >= 2, got ${numClasses}.`);
  }
  if (y.length !== x.rows) {
    throw new FttlError('bad-input', `The ${what} set has ${x.rows} feature rows but ${y.length} labels.`);
  }
  if (x.rows === 0) throw new FttlError('bad-input', `The ${what} set is empty.`);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (c < 0 || c >= numClasses) {
      throw new FttlError('bad-input', `The ${what} label at row ${i} is ${c}; labels must be in [0, ${numClasses - 1}].`);
    }
  }
}

export function checkMatrix(x: FeatureMatrix, what: string): void {
  if (!(x.data instanceof Float32Array)) throw new FttlError('bad-input', `The ${what} features must be a Float32Array.`);
  if (!Number.isInteger(x.rows) || !Number.isInteger(x.dim) || x.rows < 0 || x.dim < 1 || x.data.length !== x.rows * x.dim) {
    throw new FttlError(
      'bad-input',
      `The ${what} feature matrix says ${x.rows} rows x ${x.dim} dims but holds ${x.data.length} numbers.`,
    );
  }
}

/**
 * Per-row loss weights from the config's class weighting. 'balanced' is sklearn's
 * n_samples / (n_classes * bincount(y)); a class absent from y gets no rows, so its weight never matters.
 */
export function sampleWeights(y: Int32Array, numClasses: number, classWeight: HeadConfig['classWeight']): Float64Array {
  const w = new Float64Array(y.length).fill(1);
  if (classWeight === 'none') return w;
  let perClass: ArrayLike<number>;
  if (classWeight === 'balanced') {
    const count = new Float64Array(numClasses);
    for (let i = 0; i < y.length; i++) count[y[i]!]! += 1;
    perClass = Array.from(count, (c) => (c > 0 ? y.length / (numClasses * c) : 0));
  } else {
    if (classWeight.length !== numClasses) {
      throw new FttlError('bad-input', `classWeight lists ${classWeight.length} weights but there are ${numClasses} classes.`);
    }
    perClass = classWeight;
  }
  for (let i = 0; i < y.length; i++) w[i] = perClass[y[i]!]!;
  return w;
}

/** Copies the given rows of x into one contiguous batch (so a shuffled batch is one small tensor). */
export function gatherRows(x: FeatureMatrix, rows: ArrayLike<number>, start: number, end: number): Float32Array {
  const out = new Float32Array((end - start) * x.dim);
  for (let r = start; r < end; r++) {
    const src = rows[r]! * x.dim;
    out.set(x.data.subarray(src, src + x.dim), (r - start) * x.dim);
  }
  return out;
}
