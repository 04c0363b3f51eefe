// Layer activations and convolution filters as normalised 8-bit tiles plus their grid layout.
import * as tf from '@tensorflow/tfjs';
import type { Backbone } from '../backbones/backbone.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { FttlError } from '../util/errors.js';
import { forwardTo, locateLayer } from './graph.js';
import { checkInputSize, imageTensor, loadImage, type ImageInput, type RawImage } from './image.js';
import { composeTiles, encodePng, gridLayout, normaliseInto, type ComposeOptions, type GridLayout, type RasterImage } from './raster.js';

/** What a layer's filters look like as pictures (see layerFilters). */
export type FilterKind = 'rgb' | 'channels' | 'depthwise';

/** A layer whose output is a stack of feature maps (a 4-D [batch, h, w, channels] tensor). */
export interface VisualLayer {
  name: string;
  /** Keras class name: Conv2D, DepthwiseConv2D, MaxPooling2D, ReLU, BatchNormalization, … */
  className: string;
  height: number;
  width: number;
  channels: number;
  /** How its kernel can be drawn (layerFilters), or null when it has none. */
  filters: FilterKind | null;
}

function kernelOf(layer: tf.layers.Layer): { kind: 'conv' | 'depthwise'; kernel: tf.Tensor } | null {
  const cls = layer.getClassName();
  const weights = layer.getWeights();
  if (cls === 'Conv2D' && weights[0]?.rank === 4) return { kind: 'conv', kernel: weights[0] };
  if ((cls === 'DepthwiseConv2D' || cls === 'SeparableConv2D') && weights[0]?.rank === 4) return { kind: 'depthwise', kernel: weights[0] };
  return null;
}

function filterKind(layer: tf.layers.Layer): FilterKind | null {
  const k = kernelOf(layer);
  if (!k) return null;
  if (k.kind === 'depthwise') return 'depthwise';
  return k.kernel.shape[2] === 3 ? 'rgb' : 'channels';
}

/**
 * The layers of `model` (nested models included, in graph order) whose output is a feature-map stack:
 * the ones layerActivations can draw. Input and zero-padding layers are left out.
 */
export function visualisableLayers(model: tf.LayersModel): VisualLayer[] {
  const out: VisualLayer[] = [];
  const visit = (container: tf.LayersModel) => {
    for (const layer of container.layers) {
      if (layer instanceof tf.LayersModel) {
        visit(layer);
        continue;
      }
      const cls = layer.getClassName();
      if (cls === 'InputLayer' || cls === 'ZeroPadding2D') continue;
      let shape: (number | null)[];
      try {
        shape = layer.outputShape as (number | null)[];
      } catch {
        continue; // a layer shared between several differently shaped inputs
      }
      if (!Array.isArray(shape) || shape.length !== 4 || shape.some((d, i) => i > 0 && typeof d !== 'number')) continue;
      out.push({ name: layer.name, className: cls, height: shape[1]!, width: shape[2]!, channels: shape[3]!, filters: filterKind(layer) });
    }
  };
  visit(model);
  return out;
}

/** The feature maps of one layer for one image. */
export interface ActivationMaps {
  layer: string;
  height: number;
  width: number;
  /** The layer's channel count. */
  channels: number;
  /** Channels drawn: the first `shown` (all unless maxChannels cut them). */
  shown: number;
  /** Layout of the `shown` tiles. */
  grid: GridLayout;
  /**
   * shown × height × width bytes, channel-major: tile c is tiles[c·h·w … (c+1)·h·w), row-major.
   * Each channel is min/max-normalised on its own: v ↦ round(255·(v − min_c)/(max_c − min_c));
   * a constant channel (often a dead ReLU) is all 0. `min`/`max` keep the raw ranges.
   */
  tiles: Uint8Array;
  min: Float32Array;
  max: Float32Array;
  /** The tiles laid out in `grid` (greyscale), when asked for with `composite`. */
  composite?: RasterImage;
  /** `composite` as a PNG file, when asked for with `png`. */
  png?: Buffer;
}

export interface ActivationOptions {
  /** Also lay the tiles out as one picture (true: 1-pixel white gaps, scale 1). */
  composite?: boolean | ComposeOptions;
  /** Also encode that picture as PNG (implies composite). */
  png?: boolean;
  /** Draw only the first n channels (VGG-16's block1 has 64 maps of 224×224; deep layers up to 1024). */
  maxChannels?: number;
}

/** Cuts an HWC feature-map stack into per-channel normalised tiles. */
export function activationTiles(layer: string, values: Float32Array, height: number, width: number, channels: number, maxChannels = channels): ActivationMaps {
  const hw = height * width;
  const shown = Math.max(0, Math.min(channels, Math.floor(maxChannels)));
  const tiles = new Uint8Array(shown * hw);
  const min = new Float32Array(shown);
  const max = new Float32Array(shown);
  const plane = new Float32Array(hw);
  for (let c = 0; c < shown; c++) {
    for (let p = 0; p < hw; p++) plane[p] = values[p * channels + c]!;
    const r = normaliseInto(plane, tiles, c * hw);
    min[c] = r.min;
    max[c] = r.max;
  }
  return { layer, height, width, channels, shown, grid: gridLayout(shown), tiles, min, max };
}

/**
 * The output of `layerName` (any layer with a 4-D output, also inside nested models) for one image,
 * as normalised tiles. RawImage inputs are scaled by their `preprocess`; tensors are taken as given.
 * Leaves no tensor behind.
 */
export async function layerActivations(model: tf.LayersModel, layerName: string, image: ImageInput, opts: ActivationOptions = {}): Promise<ActivationMaps> {
  const path = locateLayer(model, layerName);
  const x = imageTensor(image);
  let out: tf.Tensor;
  try {
    checkInputSize(model, x);
    out = tf.tidy(() => forwardTo(path, [x]).value);
  } finally {
    x.dispose();
  }
  let values: Float32Array;
  const shape = out.shape;
  try {
    if (shape.length !== 4 || shape[0] !== 1) {
      throw new FttlError('bad-input', `Layer "${layerName}" gives a [${shape.join(', ')}] output, not feature maps; pick a conv or pooling layer.`);
    }
    values = (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
  const maps = activationTiles(layerName, values, shape[1]!, shape[2]!, shape[3]!, opts.maxChannels ?? shape[3]!);
  if (opts.composite || opts.png) {
    const compose = typeof opts.composite === 'object' ? opts.composite : {};
    maps.composite = composeTiles(maps.tiles, { count: maps.shown, tileHeight: maps.height, tileWidth: maps.width, channels: 1 }, maps.grid, compose);
    if (opts.png) maps.png = await encodePng(maps.composite);
  }
  return maps;
}

/**
 * layerActivations for a backbone: the image (a file path, or RGB 0..255 pixels at the backbone's input
 * size) is decoded at the backbone's input size and scaled its way.
 */
export async function backboneActivations(
  backbone: Backbone,
  image: string | RawImage,
  layerName: string,
  opts: ActivationOptions & { resizeMode?: ResizeMode } = {},
): Promise<ActivationMaps> {
  const raw =
    typeof image === 'string'
      ? await loadImage(image, backbone.inputSize, { resizeMode: opts.resizeMode ?? 'stretch', preprocess: backbone.preprocess })
      : { ...image, preprocess: backbone.preprocess };
  return layerActivations(backbone.model, layerName, raw, opts);
}

/** A layer's kernel drawn as tiles. */
export interface FilterTiles {
  layer: string;
  className: string;
  /**
   * - 'rgb': a first layer (3 input channels): one RGB tile per filter, kernelHeight × kernelWidth × 3
   *   (interleaved), min/max-normalised per filter over its 3·kh·kw weights;
   * - 'channels': a deeper Conv2D: one grey tile per (filter, input channel), filter-major
   *   (tile f·inputChannels + c), each filter min/max-normalised over all its kh·kw·inputChannels weights,
   *   so the tiles of one filter compare; grid rows = filters, cols = input channels;
   * - 'depthwise': DepthwiseConv2D / SeparableConv2D's depthwise part: one grey tile per
   *   (channel, multiplier), each normalised on its own.
   */
  kind: FilterKind;
  kernelHeight: number;
  kernelWidth: number;
  /** Output filters (Conv2D) or channels × depth multiplier (depthwise). */
  filters: number;
  /** Input channels each filter spans (1 for depthwise). */
  inputChannels: number;
  /** Number of tiles: filters ('rgb', 'depthwise') or filters × inputChannels ('channels'). */
  count: number;
  /** Values per tile pixel: 3 for 'rgb', 1 otherwise. */
  tileChannels: 1 | 3;
  grid: GridLayout;
  tiles: Uint8Array;
  composite?: RasterImage;
  png?: Buffer;
}

export interface FilterOptions extends ActivationOptions {
  /**
   * The first layer reads BGR input (Keras VGG-16's 'caffe' preprocessing): flip its kernels' input
   * channels so the RGB tiles show the colours they respond to.
   */
  bgr?: boolean;
  /** Only the first `maxFilters` filters (deep layers have up to 512 × 512 tiles). */
  maxFilters?: number;
}

/** Draws a conv layer's kernel (see FilterTiles). Reads the weights; creates no lasting tensor. */
export async function layerFilters(model: tf.LayersModel, layerName: string, opts: FilterOptions = {}): Promise<FilterTiles> {
  const { layer } = locateLayer(model, layerName);
  const k = kernelOf(layer);
  if (!k) throw new FttlError('bad-input', `Layer "${layerName}" (${layer.getClassName()}) has no convolution kernel to draw.`);
  const [kh, kw, inC, outC] = k.kernel.shape as [number, number, number, number];
  const w = (await k.kernel.data()) as Float32Array; // [kh, kw, in, out]
  const limit = opts.maxFilters !== undefined ? Math.max(0, Math.floor(opts.maxFilters)) : Infinity;
  const at = (y: number, x: number, c: number, f: number) => w[((y * kw + x) * inC + c) * outC + f]!;
  const kk = kh * kw;
  let result: FilterTiles;
  if (k.kind === 'conv' && inC === 3) {
    const filters = Math.min(outC, limit);
    const tiles = new Uint8Array(filters * kk * 3);
    const block = new Float32Array(kk * 3);
    for (let f = 0; f < filters; f++) {
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let c = 0; c < 3; c++) block[(y * kw + x) * 3 + c] = at(y, x, opts.bgr ? 2 - c : c, f);
      normaliseInto(block, tiles, f * kk * 3);
    }
    result = { layer: layerName, className: layer.getClassName(), kind: 'rgb', kernelHeight: kh, kernelWidth: kw, filters, inputChannels: 3, count: filters, tileChannels: 3, grid: gridLayout(filters), tiles };
  } else if (k.kind === 'conv') {
    const filters = Math.min(outC, limit);
    const tiles = new Uint8Array(filters * inC * kk);
    const block = new Float32Array(inC * kk);
    for (let f = 0; f < filters; f++) {
      for (let c = 0; c < inC; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) block[c * kk + y * kw + x] = at(y, x, c, f);
      normaliseInto(block, tiles, f * inC * kk);
    }
    result = { layer: layerName, className: layer.getClassName(), kind: 'channels', kernelHeight: kh, kernelWidth: kw, filters, inputChannels: inC, count: filters * inC, tileChannels: 1, grid: { rows: filters, cols: inC }, tiles };
  } else {
    // Depthwise kernel [kh, kw, channels, multiplier]: output channel c·multiplier + m.
    const filters = Math.min(inC * outC, limit);
    const tiles = new Uint8Array(filters * kk);
    const block = new Float32Array(kk);
    for (let t = 0; t < filters; t++) {
      const c = Math.floor(t / outC);
      const m = t % outC;
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) block[y * kw + x] = at(y, x, c, m);
      normaliseInto(block, tiles, t * kk);
    }
    result = { layer: layerName, className: layer.getClassName(), kind: 'depthwise', kernelHeight: kh, kernelWidth: kw, filters, inputChannels: 1, count: filters, tileChannels: 1, grid: gridLayout(filters), tiles };
  }
  if (opts.composite || opts.png) {
    const compose = typeof opts.composite === 'object' ? opts.composite : {};
    result.composite = composeTiles(result.tiles, { count: result.count, tileHeight: kh, tileWidth: kw, channels: result.tileChannels }, result.grid, compose);
    if (opts.png) result.png = await encodePng(result.composite);
  }
  return result;
}

/** layerFilters for a backbone (VGG-16's BGR first layer shown in RGB). */
export function backboneFilters(backbone: Backbone, layerName: string, opts: Omit<FilterOptions, 'bgr'> = {}): Promise<FilterTiles> {
  return layerFilters(backbone.model, layerName, { ...opts, bgr: backbone.preprocess === 'caffe' });
}
