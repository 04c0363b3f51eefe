// The one entry point for backbones: turns what the user typed (a built-in name, a path, a URL)
// into a loaded network plus what FTTL needs to take features from it.
import * as tf from '@tensorflow/tfjs';
import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { builtInName, loadBuiltInBackbone, parseBuiltInName } from './builtIn.js';
import { loadEmbeddedBackbone } from './embedded.js';
import { loadKerasBackbone } from './kerasSource.js';
import { makeDivisible } from './mobilenetV2.js';
import { loadTfjsBackbone } from './tfjsSource.js';
import type { Backbone, LoadBackboneOptions, PoolingMode } from './types.js';

export type { Architecture, Backbone, LoadBackboneOptions, PoolingMode } from './types.js';
export type { PreprocessKind } from './preprocess.js';
export { parseBuiltInName } from './builtIn.js';

/**
 * Loads a backbone. `source` is one of:
 * - `default` / `embedded`: the MobileNetV2 bundled with nsfwjs (no network; 1280-d features);
 * - a built-in name — `vgg16`, `mobilenet_v1_<alpha>`, `mobilenet_v2_<alpha>`, optionally `_<input size>`,
 *   `:top` to keep the ImageNet classifier, `:random` for seeded random weights (no download) —
 *   with Keras' ImageNet weights downloaded on first use into `cacheDir`;
 * - a Keras `.h5` weights file (architecture from its file name or layers);
 * - a TF.js Layers model: a folder with model.json, a model.json path, or an http(s) URL.
 * Failures are FttlError('bad-input') for a source that does not exist and FttlError('weights') for
 * one that cannot be loaded, naming the path.
 */
export async function loadBackbone(source: string, opts: LoadBackboneOptions = {}): Promise<Backbone> {
  throwIfCancelled(opts.signal);
  const s = source.trim();
  const report = (done: number, message: string) => opts.onProgress?.({ phase: 'load backbone', done, total: 1, message });
  report(0, s);
  let backbone: Backbone;
  const lower = s.toLowerCase();
  const builtIn = parseBuiltInName(s);
  if (lower === 'default' || lower === 'embedded') {
    backbone = await loadEmbeddedBackbone(source);
  } else if (builtIn) {
    backbone = await loadBuiltInBackbone(source, builtIn, opts);
  } else if (/^https?:\/\//i.test(s)) {
    backbone = await loadTfjsBackbone(source, s);
  } else if (s === '') {
    throw new FttlError('bad-input', 'No backbone given: pass "default", a built-in name or a path.');
  } else {
    const path = resolve(s.startsWith('~/') ? `${homedir()}${s.slice(1)}` : s);
    if (/\.(h5|hdf5)$/i.test(path)) {
      backbone = await loadKerasBackbone(source, path);
    } else if (/\.keras$/i.test(path)) {
      throw new FttlError('bad-input', `${path}: Keras 3 .keras archives are not supported; save the weights as .h5 (model.save_weights("w.h5")).`);
    } else {
      backbone = await loadTfjsBackbone(source, path);
    }
  }
  throwIfCancelled(opts.signal);
  report(1, backbone.name);
  return backbone;
}

/**
 * A model from the backbone's input to `layer`'s output (default: the backbone's default feature),
 * made a vector by `pooling`: 'flatten' (keeps spatial layout), 'avg' (global average pool) or
 * 'none' (the layer's output as it is). 2-D outputs (dense layers) are returned as they are.
 * Any layer of the model may be named, not only those in `featureLayers`. Shares the backbone's
 * weights (disposing the backbone's model frees them).
 */
export function featureModel(b: Backbone, layer?: string, pooling?: PoolingMode): tf.LayersModel {
  const layerName = layer ?? b.defaultFeature.layer;
  const mode = pooling ?? (layer === undefined || layer === b.defaultFeature.layer ? b.defaultFeature.pooling : 'none');
  let target: tf.layers.Layer;
  try {
    target = b.model.getLayer(layerName);
  } catch {
    throw new FttlError(
      'bad-input',
      `Backbone ${b.name} has no layer "${layerName}". Feature layers: ${b.featureLayers.join(', ')}.`,
    );
  }
  let out = target.output as tf.SymbolicTensor;
  if (Array.isArray(out)) throw new FttlError('bad-input', `Layer "${layerName}" has several outputs; pick another layer.`);
  const rank = out.shape.length;
  if (rank === 4 && mode === 'avg') {
    out = tf.layers.globalAveragePooling2d({ name: `fttl_avg_${layerName}` }).apply(out) as tf.SymbolicTensor;
  } else if (rank > 2 && mode === 'flatten') {
    out = tf.layers.flatten({ name: `fttl_flatten_${layerName}` }).apply(out) as tf.SymbolicTensor;
  } else if (rank > 2 && mode === 'avg') {
    throw new FttlError('bad-input', `Layer "${layerName}" has a ${rank - 1}-D output; average pooling needs a feature map.`);
  }
  return tf.model({ inputs: b.model.inputs, outputs: out, name: `${b.model.name}_features_${layerName}_${mode}` });
}

const mn1 = (a: string) => ({
  name: `mobilenet_v1_${a}`,
  description: `Keras MobileNet v1 α${a}, ImageNet weights (downloaded once); ${Math.trunc(1024 * Number(a))}-d features (conv_pw_13_relu, averaged).`,
});
const mn2 = (a: string) => ({
  name: `mobilenet_v2_${a}`,
  description: `Keras MobileNetV2 α${a}, ImageNet weights (downloaded once); ${Number(a) > 1 ? makeDivisible(1280 * Number(a)) : 1280}-d features (out_relu, averaged).`,
});

/** What a user can pass as a backbone name (besides paths and URLs), for help text and pickers. */
export const BUILT_IN_BACKBONES: { name: string; description: string }[] = [
  {
    name: 'default',
    description:
      'MobileNetV2 α1.0 bundled with nsfwjs (fine-tuned from ImageNet); works offline; 1280-d features (out_relu, averaged); inputs scaled to 0..1.',
  },
  {
    name: 'vgg16',
    description: 'Keras VGG-16, ImageNet weights without the top (56 MB download, once); 25,088-d features (block5_pool, flattened), as the reference study.',
  },
  ...['0.25', '0.5', '0.75', '1.0'].map(mn1),
  ...['0.35', '0.5', '0.75', '1.0', '1.3', '1.4'].map(mn2),
  {
    name: 'vgg16:random',
    description: `Seeded random weights (no download), for benchmarks and tests; works with every built-in name, e.g. ${builtInName({ architecture: 'mobilenet_v2', alpha: 1, inputSize: 224 })}:random.`,
  },
  {
    name: 'vgg16:top',
    description: 'Keeps the 1000-class ImageNet classifier (fc1, fc2 become feature layers; 528 MB download for VGG-16); works with every built-in name.',
  },
];
