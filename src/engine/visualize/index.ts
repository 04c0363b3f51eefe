// "Seeing inside": plain data (tiles, heat maps, points, galleries) for the webview panel, the HTML
// report and the CLI to draw. Nothing here renders to a DOM.
export type { RasterImage, GridLayout, ComposeOptions } from './raster.js';
export { gridLayout, normaliseInto, composeTiles, encodePng, jet, resizeBilinear, heatmapOverlay, blendOverlay } from './raster.js';
export type { RawImage, ImageInput } from './image.js';
export { loadImage, imageTensor } from './image.js';
export type { VisualLayer, FilterKind, ActivationMaps, ActivationOptions, FilterTiles, FilterOptions } from './activations.js';
export { visualisableLayers, layerActivations, backboneActivations, activationTiles, layerFilters, backboneFilters } from './activations.js';
export type { GradCamOptions, GradCamResult } from './gradCam.js';
export { gradCam, lastConvLayer } from './gradCam.js';
export type { RunModel } from './runModel.js';
export { runModel } from './runModel.js';
export type { DataMatrix, PcaResult } from './pca.js';
export { pca } from './pca.js';
export type { ProjectionMethod, UmapOptions, EmbeddingPoint, EmbeddingMap, EmbeddingOptions, RunFeatureOptions, RunFeatures } from './embedding.js';
export { umap2d, embeddingMap, runFeatureVectors, runEmbedding } from './embedding.js';
export type { LossItem, RunErrors } from './losses.js';
export { LOSS_EPSILON, lossItems, topLosses, confusionCell, confusionCounts, runErrors } from './losses.js';
