// The embedding map: a run's test feature vectors in 2-D, coloured by true class, errors marked.
import { UMAP } from 'umap-js';
import { featureModel, type PoolingMode } from '../backbones/backbone.js';
import type { ImageItem, SkippedFile } from '../data/dataset.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { extractFeatures } from '../features/extractFeatures.js';
import { FeatureCache, hashFile, type ExtractorKey } from '../features/featureCache.js';
import type { FeatureMatrix } from '../features/featureMatrix.js';
import { tfjsRunner } from '../inference/tfjsRunner.js';
import { getBackbone } from '../pipeline/backboneSession.js';
import type { Prediction } from '../runs/runRecord.js';
import { readPredictions, readRun } from '../runs/runStore.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { Rng } from '../util/rng.js';
import { pca, type DataMatrix } from './pca.js';

export type ProjectionMethod = 'pca' | 'umap';

export interface UmapOptions {
  /** Seed of umap-js's `random` (mulberry32): the same seed and data give the same map. Default 1. */
  seed?: number;
  /** Default 15 (umap-learn's), capped at rows − 1. */
  nNeighbors?: number;
  /** Default 0.1 (umap-learn's). */
  minDist?: number;
  /** Default: umap-js's choice (500 below 10,000 points). */
  nEpochs?: number;
}

/** UMAP to 2-D with umap-js, seeded. Needs at least 3 rows. Returns rows × 2, row-major. */
export function umap2d(x: DataMatrix, opts: UmapOptions = {}): Float64Array {
  const { rows: n, dim: d, data } = x;
  if (n < 3) throw new FttlError('bad-input', `UMAP needs at least 3 points; there are ${n}.`);
  const rng = new Rng(opts.seed ?? 1);
  const params: ConstructorParameters<typeof UMAP>[0] = {
    nComponents: 2,
    nNeighbors: Math.max(2, Math.min(opts.nNeighbors ?? 15, n - 1)),
    minDist: opts.minDist ?? 0.1,
    random: () => rng.next(),
  };
  if (opts.nEpochs !== undefined) params.nEpochs = opts.nEpochs;
  const vectors: number[][] = [];
  for (let i = 0; i < n; i++) vectors.push(Array.from({ length: d }, (_, j) => data[i * d + j]!));
  const embedding = new UMAP(params).fit(vectors);
  const out = new Float64Array(n * 2);
  embedding.forEach((p, i) => {
    out[2 * i] = p[0]!;
    out[2 * i + 1] = p[1]!;
  });
  return out;
}

/** One image on the map. */
export interface EmbeddingPoint {
  x: number;
  y: number;
  /** True class (colour it by this). */
  label: string;
  labelIndex: number;
  predicted: string;
  predictedIndex: number;
  /** False for the misclassified (mark them). */
  correct: boolean;
  path: string;
}

export interface EmbeddingMap {
  method: ProjectionMethod;
  classes: string[];
  /** Feature vector length. */
  dim: number;
  points: EmbeddingPoint[];
  /** PCA: share of the variance along x and y. */
  explainedVarianceRatio?: [number, number];
  /** UMAP: the parameters used. */
  umap?: { seed: number; nNeighbors: number; minDist: number };
  /** Images of predictions.json that could not be read again (no feature vector). */
  skipped: SkippedFile[];
}

export interface EmbeddingOptions extends UmapOptions {
  method?: ProjectionMethod;
}

/** Projects feature vectors (row i ↔ predictions[i]) to 2-D points. */
export function embeddingMap(features: DataMatrix, predictions: Prediction[], classes: string[], opts: EmbeddingOptions = {}): EmbeddingMap {
  if (features.rows !== predictions.length) {
    throw new FttlError('internal', `embeddingMap: ${features.rows} feature vectors for ${predictions.length} predictions`);
  }
  const method = opts.method ?? 'pca';
  const map: EmbeddingMap = { method, classes, dim: features.dim, points: [], skipped: [] };
  let xy: ArrayLike<number>;
  if (method === 'pca') {
    const r = pca(features, 2);
    xy = r.scores;
    map.explainedVarianceRatio = [r.explainedVarianceRatio[0]!, r.explainedVarianceRatio[1]!];
  } else if (method === 'umap') {
    xy = umap2d(features, opts);
    map.umap = {
      seed: opts.seed ?? 1,
      nNeighbors: Math.max(2, Math.min(opts.nNeighbors ?? 15, features.rows - 1)),
      minDist: opts.minDist ?? 0.1,
    };
  } else {
    throw new FttlError('bad-input', `Unknown projection "${String(method)}" (use pca or umap).`);
  }
  map.points = predictions.map((p, i) => {
    const labelIndex = classes.indexOf(p.label);
    const predictedIndex = classes.indexOf(p.predicted);
    if (labelIndex < 0 || predictedIndex < 0) throw new FttlError('bad-input', `predictions.json row ${i} names a class that is not one of ${classes.join(', ')}.`);
    return { x: xy[2 * i]!, y: xy[2 * i + 1]!, label: p.label, labelIndex, predicted: p.predicted, predictedIndex, correct: labelIndex === predictedIndex, path: p.path };
  });
  return map;
}

export interface RunFeatureOptions {
  /** The feature cache the run was trained with (`<workdir>/cache/features`). */
  featureCacheDir: string;
  weightsCacheDir?: string;
  batchSize?: number;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

export interface RunFeatures {
  classes: string[];
  /** The predictions.json rows that have a vector, in file order; features row i ↔ predictions[i]. */
  predictions: Prediction[];
  features: FeatureMatrix;
  skipped: SkippedFile[];
  fromCache: number;
  extracted: number;
}

/**
 * The feature vectors of a run's test images (predictions.json), as the run's head saw them: from the
 * feature cache under the run's extractor key (backbone id, layer, pooling, size, resize, preprocessing);
 * only when some are missing is the backbone loaded (and checked against the run's backbone id) to
 * extract them, filling the cache.
 */
export async function runFeatureVectors(runDir: string, opts: RunFeatureOptions): Promise<RunFeatures> {
  const record = await readRun(runDir);
  const all = await readPredictions(runDir);
  const { config } = record;
  const classes = record.dataset.classes;
  const items: ImageItem[] = all.map((p, i) => {
    const label = classes.indexOf(p.label);
    if (label < 0) throw new FttlError('bad-input', `predictions.json row ${i} names class "${p.label}", which is not one of ${classes.join(', ')}.`);
    return { path: p.path, label };
  });
  const key: ExtractorKey = {
    backboneId: config.backboneId,
    layer: config.layer,
    pooling: config.pooling,
    inputSize: config.inputSize,
    resizeMode: config.resizeMode,
    preprocess: config.preprocess,
  };
  const cache = new FeatureCache(opts.featureCacheDir, key, record.featureDim);

  // Everything cached: no backbone needed.
  const cached: Float32Array[] = [];
  for (const item of items) {
    throwIfCancelled(opts.signal);
    const v = await hashFile(item.path).then((h) => cache.get(h), () => undefined);
    if (!v) break;
    cached.push(v);
  }
  if (cached.length === items.length) {
    const data = new Float32Array(items.length * record.featureDim);
    cached.forEach((v, i) => data.set(v, i * record.featureDim));
    return { classes, predictions: all, features: { data, rows: items.length, dim: record.featureDim }, skipped: [], fromCache: items.length, extracted: 0 };
  }

  const backbone = await getBackbone(config.backbone, { weightsCacheDir: opts.weightsCacheDir, onProgress: opts.onProgress, signal: opts.signal });
  if (backbone.id !== config.backboneId) {
    throw new FttlError('weights', `Run ${record.id} was trained on backbone ${config.backboneId}, but "${config.backbone}" now loads ${backbone.id}: its features would not match.`);
  }
  const runner = tfjsRunner(featureModel(backbone, config.layer, config.pooling as PoolingMode), backbone.preprocess, backbone.inputSize);
  if (runner.outputSize !== record.featureDim) {
    throw new FttlError('internal', `Run ${record.id} has ${record.featureDim}-d features but its extractor now gives ${runner.outputSize}.`);
  }
  const result = await extractFeatures({
    items,
    runner,
    cache,
    resizeMode: config.resizeMode as ResizeMode,
    batchSize: opts.batchSize ?? 16,
    onProgress: opts.onProgress,
    signal: opts.signal,
    phase: 'embedding features',
  });
  const kept = new Set(result.items.map((i) => i.path));
  return {
    classes,
    predictions: all.filter((p) => kept.has(p.path)),
    features: result.features,
    skipped: result.skipped,
    fromCache: result.fromCache,
    extracted: result.extracted,
  };
}

/** The embedding map of a run: runFeatureVectors, then embeddingMap. */
export async function runEmbedding(runDir: string, opts: RunFeatureOptions & EmbeddingOptions): Promise<EmbeddingMap> {
  const f = await runFeatureVectors(runDir, opts);
  const map = embeddingMap(f.features, f.predictions, f.classes, opts);
  map.skipped = f.skipped;
  return map;
}
