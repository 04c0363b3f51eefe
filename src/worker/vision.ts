// What the UI's activations view, Grad-CAM overlay and embedding map need, from the engine's
// visualisation module (src/engine/visualize), turned into PNG data URLs and plain points.
import type { Backbone } from '../engine/backbones/backbone.js';
import { defaultFeatureCacheDir } from '../engine/pipeline/prepareFeatures.js';
import { FttlError } from '../engine/util/errors.js';
import {
  backboneActivations,
  backboneFilters,
  blendOverlay,
  encodePng,
  gradCam,
  runEmbedding,
  runModel,
  visualisableLayers,
} from '../engine/visualize/index.js';
import type { ReportData } from '../shared/report.js';
import { decodeRgb, pngDataUrl } from './images.js';

export interface LayerInfo {
  name: string;
  shape: (number | null)[];
  className: string;
}

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString('base64')}`;

/** Layers whose output is a feature map, in network order. */
export function mapLayers(b: Backbone): LayerInfo[] {
  return visualisableLayers(b.model).map((l) => ({ name: l.name, shape: [null, l.height, l.width, l.channels], className: l.className }));
}

/** A mid-network layer worth showing first: the second of the backbone's suggested feature layers, else its default. */
export function defaultMapLayer(b: Backbone): string {
  const maps = new Set(mapLayers(b).map((l) => l.name));
  const candidates = b.featureLayers.filter((n) => maps.has(n));
  return candidates[Math.min(1, candidates.length - 1)] ?? b.defaultFeature.layer;
}

export async function activationGrid(b: Backbone, imagePath: string, layer: string, maxMaps: number) {
  const info = mapLayers(b).find((l) => l.name === layer);
  if (!info) throw new FttlError('bad-input', `Layer "${layer}" of ${b.name} has no feature map to show; pick a convolutional layer.`);
  const side = Math.max(info.shape[1] ?? 1, info.shape[2] ?? 1);
  const scale = Math.max(1, Math.round(64 / side));
  const maps = await backboneActivations(b, imagePath, layer, { maxChannels: maxMaps, png: true, composite: { gap: 2, scale, background: 48 } });
  const rgb = await decodeRgb(imagePath, b.inputSize, 'stretch');
  return {
    layer,
    shape: [maps.height, maps.width, maps.channels],
    shown: maps.shown,
    columns: maps.grid.cols,
    grid: dataUrl(maps.png!),
    image: await pngDataUrl(rgb, b.inputSize, b.inputSize),
  };
}

/** A convolution's kernels (default: the first layer that reads the RGB image). */
export async function filterGrid(b: Backbone, layerName: string | undefined, maxFilters: number) {
  const layers = visualisableLayers(b.model);
  const layer = layerName ? layers.find((l) => l.name === layerName && l.filters) : (layers.find((l) => l.filters === 'rgb') ?? layers.find((l) => l.filters));
  if (!layer) throw new FttlError('bad-input', layerName ? `Layer "${layerName}" has no convolution kernel to draw.` : `Backbone ${b.name} has no convolution.`);
  const f = await backboneFilters(b, layer.name, { maxFilters, png: true, composite: { gap: 2, scale: Math.max(2, Math.round(36 / 3)), background: 48 } });
  return { layer: f.layer, shape: [f.kernelHeight, f.kernelWidth, f.inputChannels, f.filters], shown: f.count, grid: dataUrl(f.png!) };
}

/** Grad-CAM of a run's model (backbone + head as one model) for its top class, over the image as the run saw it. */
export async function gradCamOverlay(runDir: string, imagePath: string, classIndex: number, weightsCacheDir?: string): Promise<{ overlay: string } | { note: string }> {
  const rm = await runModel(runDir, { weightsCacheDir });
  try {
    const image = await rm.loadImage(imagePath);
    const r = await gradCam(rm.model, rm.camLayer, image, classIndex);
    const blended = blendOverlay(image.pixels, r.overlay);
    return { overlay: dataUrl(await encodePng(blended)) };
  } finally {
    rm.dispose();
  }
}

/** The report's embedding map: PCA of the run's test features (from the feature cache when there). */
export async function embeddingOf(runDir: string, opts: { workDir: string; weightsCacheDir?: string; signal?: AbortSignal }): Promise<ReportData['embedding']> {
  const map = await runEmbedding(runDir, { featureCacheDir: defaultFeatureCacheDir(opts.workDir), weightsCacheDir: opts.weightsCacheDir, signal: opts.signal, method: 'pca' });
  const variance = map.explainedVarianceRatio ? ` (${(100 * (map.explainedVarianceRatio[0] + map.explainedVarianceRatio[1])).toFixed(0)}% of the variance)` : '';
  return {
    method: `PCA of the test images' ${map.dim}-d features${variance}`,
    points: map.points.map((p) => ({ x: p.x, y: p.y, label: p.label, predicted: p.predicted, correct: p.correct, path: p.path })),
  };
}
