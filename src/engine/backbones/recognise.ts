import * as tf from '@tensorflow/tfjs';
import { makeDivisible } from './mobilenetV2.js';
import type { PreprocessKind } from './preprocess.js';
import type { Architecture, PoolingMode } from './types.js';

/** What the architecture tells about a model: how to feed it and where to take features. */
export interface ModelTraits {
  architecture: Architecture;
  alpha?: number;
  inputSize: number;
  preprocess: PreprocessKind;
  featureLayers: string[];
  defaultFeature: { layer: string; pooling: PoolingMode };
}

/** The ends of each resolution stage (the usual transfer-learning taps), per known architecture. */
const STAGE_ENDS: Record<Exclude<Architecture, 'custom'>, string[]> = {
  vgg16: ['block1_pool', 'block2_pool', 'block3_pool', 'block4_pool', 'block5_pool'],
  mobilenet_v1: ['conv_pw_1_relu', 'conv_pw_3_relu', 'conv_pw_5_relu', 'conv_pw_11_relu', 'conv_pw_13_relu'],
  mobilenet_v2: ['expanded_conv_project_BN', 'block_2_add', 'block_5_add', 'block_12_add', 'block_16_project_BN', 'out_relu'],
};

/** Seed-paper defaults: VGG-16 block5_pool flattened (25,088-d); MobileNets last conv block averaged. */
const DEFAULT_FEATURE: Record<Exclude<Architecture, 'custom'>, { layer: string; pooling: PoolingMode }> = {
  vgg16: { layer: 'block5_pool', pooling: 'flatten' },
  mobilenet_v1: { layer: 'conv_pw_13_relu', pooling: 'avg' },
  mobilenet_v2: { layer: 'out_relu', pooling: 'avg' },
};

const PREPROCESS: Record<Exclude<Architecture, 'custom'>, PreprocessKind> = {
  vgg16: 'caffe',
  mobilenet_v1: 'tf',
  mobilenet_v2: 'tf',
};

/** Last dimension of a layer's output (its channel / unit count). */
function channels(layer: tf.layers.Layer): number | undefined {
  const shape = layer.outputShape as (number | null)[];
  const c = Array.isArray(shape) ? shape[shape.length - 1] : undefined;
  return typeof c === 'number' ? c : undefined;
}

/**
 * Recognises VGG-16 and MobileNet v1/v2 by their Keras layer names (how Keras-converted TF.js models
 * keep them) and reads alpha off the channel counts. Anything else is 'custom'.
 */
export function recogniseArchitecture(model: tf.LayersModel): { architecture: Architecture; alpha?: number } {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  if (byName.has('block1_conv1') && byName.has('block5_conv3')) return { architecture: 'vgg16' };
  const conv1 = byName.get('conv1');
  if (conv1 && byName.has('conv_dw_1') && byName.has('conv_pw_13')) {
    const c = channels(conv1);
    return c ? { architecture: 'mobilenet_v1', alpha: Math.round((c / 32) * 100) / 100 } : { architecture: 'mobilenet_v1' };
  }
  const project16 = byName.get('block_16_project');
  if (project16 && byName.has('expanded_conv_depthwise')) {
    const c = channels(project16);
    // block_16_project has makeDivisible(int(320·α)) channels; Conv1's 32·α is ambiguous (0.35 and 0.5 both give 16).
    const alpha = c ? [0.35, 0.5, 0.75, 1.0, 1.3, 1.4].find((a) => makeDivisible(Math.trunc(320 * a)) === c) ?? Math.round((c / 320) * 100) / 100 : undefined;
    return alpha !== undefined ? { architecture: 'mobilenet_v2', alpha } : { architecture: 'mobilenet_v2' };
  }
  return { architecture: 'custom' };
}

/**
 * Where to take features from a model of a (possibly recognised) architecture. Known layers are
 * used only if present (a model may be truncated); otherwise, and for 'custom' models, the generic
 * rule: the last layer at each spatial resolution of the conv trunk, plus every Dense layer except
 * the model's output. Custom models default to the last 4-D output, average-pooled, and to 'tf'
 * preprocessing (x/127.5 − 1: what Keras/TF.js MobileNet-family and Teachable Machine models use).
 */
export function modelTraits(
  model: tf.LayersModel,
  arch: { architecture: Architecture; alpha?: number },
  preprocessOverride?: PreprocessKind,
): ModelTraits {
  const names = new Set(model.layers.map((l) => l.name));
  const inputShape = model.inputs[0]?.shape ?? [];
  const inputSize = typeof inputShape[1] === 'number' ? inputShape[1] : 224;
  const outputLayers = new Set(model.outputLayers.map((l) => l.name));

  const generic = genericFeatureLayers(model);
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense' && !outputLayers.has(l.name)).map((l) => l.name);
  let featureLayers: string[];
  let defaultFeature: ModelTraits['defaultFeature'] | undefined;
  if (arch.architecture !== 'custom') {
    featureLayers = STAGE_ENDS[arch.architecture].filter((n) => names.has(n));
    const preferred = DEFAULT_FEATURE[arch.architecture];
    if (names.has(preferred.layer)) defaultFeature = preferred;
  } else {
    featureLayers = generic.stageEnds;
  }
  featureLayers = [...new Set([...featureLayers, ...dense])];
  defaultFeature ??= generic.lastSpatial
    ? { layer: generic.lastSpatial, pooling: 'avg' }
    : { layer: penultimate(model), pooling: 'none' };
  if (!featureLayers.includes(defaultFeature.layer)) featureLayers.push(defaultFeature.layer);

  const traits: ModelTraits = {
    architecture: arch.architecture,
    inputSize,
    preprocess: preprocessOverride ?? (arch.architecture === 'custom' ? 'tf' : PREPROCESS[arch.architecture]),
    featureLayers,
    defaultFeature,
  };
  if (arch.alpha !== undefined) traits.alpha = arch.alpha;
  return traits;
}

function genericFeatureLayers(model: tf.LayersModel): { stageEnds: string[]; lastSpatial?: string } {
  const spatial = model.layers.filter((l) => {
    const s = l.outputShape as (number | null)[];
    // Padding layers only exist to feed a strided conv: never a tap.
    const skip = ['InputLayer', 'ZeroPadding2D'].includes(l.getClassName());
    return Array.isArray(s) && s.length === 4 && !Array.isArray(s[0]) && !skip;
  });
  const stageEnds: string[] = [];
  spatial.forEach((l, i) => {
    const next = spatial[i + 1];
    const side = (l.outputShape as (number | null)[])[1];
    if (!next || (next.outputShape as (number | null)[])[1] !== side) stageEnds.push(l.name);
  });
  const last = spatial.at(-1)?.name;
  return last !== undefined ? { stageEnds, lastSpatial: last } : { stageEnds };
}

function penultimate(model: tf.LayersModel): string {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  return (layers.at(-2) ?? layers.at(-1))!.name;
}
