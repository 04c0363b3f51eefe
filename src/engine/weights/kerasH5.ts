// Reads Keras HDF5 weight files (Keras 2 / tf.keras "legacy" h5 format) and loads them into a
// tf.layers model by layer name.
//
// Layout (as found in Keras Applications' files, e.g. mobilenet_2_5_224_tf_no_top.h5, keras 2.0.4):
//   /                          attrs: layer_names = ["input_1", "conv1", "conv1_bn", …], keras_version, backend
//   /conv1                     attrs: weight_names = ["conv1/kernel:0"]   (an empty float64 array when none)
//   /conv1/conv1/kernel:0      float32 dataset [3, 3, 3, 8]
//   /conv1_bn/conv1_bn/gamma:0 … beta:0, moving_mean:0, moving_variance:0
// `model.save_weights()` writes that layout at the root; `model.save()` writes it under /model_weights
// (with model_config etc. at the root). Keras splits an attribute over 64 KB into name0, name1, ….
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';
import { hasHdf5Signature, hdf5Reason, withH5 } from './hdf5.js';
import type * as H5 from 'h5wasm/node';

export interface KerasWeight {
  /** The name Keras recorded, e.g. "conv1/kernel:0". */
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface KerasLayerWeights {
  /** The Keras layer name, e.g. "conv_dw_1_bn". */
  layer: string;
  /** In Keras order (= tf.layers order): kernel, bias / depthwise_kernel / gamma, beta, moving_mean, moving_variance. */
  weights: KerasWeight[];
}

export interface KerasH5Contents {
  /** Every layer the file lists, in its order, weightless ones (input, activation, pooling) included. */
  layers: KerasLayerWeights[];
  kerasVersion?: string;
  backend?: string;
}

export interface ApplyKerasWeightsOptions {
  /** Model layers allowed to be absent from the file (e.g. a new head); they keep their weights. */
  allowMissing?: string[];
  /** The file name to put in error messages. */
  source?: string;
}

export interface ApplyKerasWeightsResult {
  /** Model layers whose weights were set from the file. */
  loaded: string[];
  /** File layers with weights that the model does not have (e.g. the top when building no-top). */
  ignored: string[];
  /** Model layers with weights that the file lacks and `allowMissing` allowed. */
  missing: string[];
}

/** Reads every layer's weights from a Keras .h5 file (weights-only or full-model layout). */
export async function readKerasH5(path: string): Promise<KerasH5Contents> {
  const abs = resolve(path);
  let isFile: boolean;
  try {
    isFile = (await stat(abs)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FttlError(
      'weights',
      code === 'ENOENT' ? `Weights file not found: ${path}` : `Cannot read weights file ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!isFile) throw new FttlError('weights', `${path} is a folder, not a Keras .h5 weights file.`);
  let hdf5: boolean;
  try {
    hdf5 = await hasHdf5Signature(abs);
  } catch (err) {
    throw new FttlError('weights', `Cannot read weights file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!hdf5) throw new FttlError('weights', `${path} is not an HDF5 file (a Keras .h5 weights file was expected).`);

  return withH5((lib) => {
    let file: H5.File;
    try {
      file = new lib.File(abs, 'r');
    } catch (err) {
      throw new FttlError('weights', `Cannot read weights file ${path}: ${hdf5Reason(err)}`, { cause: err });
    }
    try {
      return readContents(lib, file, path);
    } catch (err) {
      if (err instanceof FttlError) throw err;
      throw new FttlError('weights', `Cannot read weights file ${path}: ${hdf5Reason(err)}`, { cause: err });
    } finally {
      file.close();
    }
  });
}

function readContents(lib: typeof H5, file: H5.File, path: string): KerasH5Contents {
  let root: H5.Group = file;
  let layerNames = readStringListAttr(file, 'layer_names');
  if (layerNames === undefined) {
    const mw = getChild(file, 'model_weights');
    if (mw instanceof lib.Group) {
      root = mw;
      layerNames = readStringListAttr(mw, 'layer_names');
    }
  }
  if (layerNames === undefined) {
    const keys = safeKeys(file);
    const keras3 = keys.includes('layers') || keys.includes('_layer_checkpoint_dependencies') || keys.includes('vars');
    throw new FttlError(
      'weights',
      keras3
        ? `${path} is in the Keras 3 ".weights.h5" format, which FTTL cannot read; ` +
            `save it from Keras in the legacy HDF5 format (model.save("model.h5") or a tf.keras 2 save_weights) instead.`
        : `${path} is an HDF5 file but not a Keras weights file: it has no "layer_names" attribute ` +
            `(top-level entries: ${describeList(keys)}).`,
    );
  }
  const kerasVersion = readStringAttr(root, 'keras_version') ?? readStringAttr(file, 'keras_version');
  const backend = readStringAttr(root, 'backend') ?? readStringAttr(file, 'backend');

  const layers: KerasLayerWeights[] = [];
  for (const layer of layerNames) {
    const group = getChild(root, layer);
    if (!(group instanceof lib.Group)) {
      throw new FttlError('weights', `${path}: layer "${layer}" is listed in layer_names but has no group in the file.`);
    }
    const weights: KerasWeight[] = [];
    for (const name of readStringListAttr(group, 'weight_names') ?? []) {
      const ds = getChild(group, name);
      if (!(ds instanceof lib.Dataset)) {
        throw new FttlError('weights', `${path}: layer "${layer}": weight "${name}" is listed but not in the file.`);
      }
      weights.push({ name, shape: [...(ds.shape ?? [])], data: readFloat32(ds, path, layer, name) });
    }
    layers.push({ layer, weights });
  }
  const contents: KerasH5Contents = { layers };
  if (kerasVersion !== undefined) contents.kerasVersion = kerasVersion;
  if (backend !== undefined) contents.backend = backend;
  return contents;
}

function readFloat32(ds: H5.Dataset, path: string, layer: string, name: string): Float32Array {
  const meta = ds.metadata;
  const FLOAT = 1;
  if (meta.type === FLOAT && meta.size === 2) {
    throw new FttlError('weights', `${path}: layer "${layer}": ${name} is stored as float16, which FTTL cannot read.`);
  }
  const value = ds.value;
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array || value instanceof Int32Array || value instanceof Int16Array ||
      value instanceof Int8Array || value instanceof Uint8Array || value instanceof Uint16Array || value instanceof Uint32Array) {
    return Float32Array.from(value);
  }
  if (typeof value === 'number') return Float32Array.of(value);
  throw new FttlError('weights', `${path}: layer "${layer}": ${name} is not a numeric array (HDF5 type class ${meta.type}).`);
}

/** h5wasm's `get` (can throw under the throwing error handler when a path is absent). */
function getChild(group: H5.Group, name: string): H5.Entity | null {
  try {
    return group.get(name);
  } catch {
    return null;
  }
}

function safeKeys(group: H5.Group): string[] {
  try {
    return group.keys();
  } catch {
    return [];
  }
}

/** A string-list attribute, joined from Keras's name0, name1, … chunks when split; undefined when absent. */
function readStringListAttr(obj: H5.Group, name: string): string[] | undefined {
  const attrs = obj.attrs;
  if (name in attrs) return toStringList(attrs[name]!.value);
  if (!(`${name}0` in attrs)) return undefined;
  const out: string[] = [];
  for (let i = 0; `${name}${i}` in attrs; i++) out.push(...toStringList(attrs[`${name}${i}`]!.value));
  return out;
}

function readStringAttr(obj: H5.Group, name: string): string | undefined {
  const attrs = obj.attrs;
  if (!(name in attrs)) return undefined;
  const list = toStringList(attrs[name]!.value);
  return list.length > 0 ? list.join('') : undefined;
}

function toStringList(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (value instanceof Uint8Array) return [new TextDecoder().decode(value)];
  if (ArrayBuffer.isView(value)) return []; // Keras writes an empty float64 array for "no weights"
  if (Array.isArray(value)) return value.flat(Infinity).map((v) => String(v));
  return [String(value)];
}

function describeList(items: string[], max = 12): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, … (${items.length} in all)` : shown;
}

/** The layers of a tf.layers model, with nested models (a model used as a layer) flattened. */
export function flattenLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: tf.layers.Layer[]) => {
    for (const layer of layers) {
      if (layer instanceof tf.LayersModel) visit(layer.layers);
      else out.push(layer);
    }
  };
  visit(model.layers);
  return out;
}

/** "conv1/kernel:0" → "kernel"; "conv1/kernel" → "kernel". */
export function shortWeightName(name: string): string {
  return (name.split('/').at(-1) ?? name).replace(/:\d+$/, '');
}

const fmt = (shape: readonly (number | null)[]) => `[${shape.join(',')}]`;

/**
 * Sets a tf.layers model's weights from Keras layers, matching by layer name. Every model layer with
 * weights must be in the file (unless allowed missing) with the same number and shapes of weights;
 * everything is checked before any weight is set, so a failure leaves the model untouched.
 */
export function applyKerasWeights(
  model: tf.LayersModel,
  layers: KerasLayerWeights[],
  opts: ApplyKerasWeightsOptions = {},
): ApplyKerasWeightsResult {
  const src = opts.source ?? 'weights file';
  const allowMissing = new Set(opts.allowMissing ?? []);
  const byName = new Map(layers.map((l) => [l.layer, l]));
  const modelLayers = flattenLayers(model).filter((l) => l.weights.length > 0);
  const modelNames = new Set(modelLayers.map((l) => l.name));

  const plan: { layer: tf.layers.Layer; values: KerasWeight[] }[] = [];
  const missing: string[] = [];
  const notAllowed: string[] = [];
  for (const layer of modelLayers) {
    const fileLayer = byName.get(layer.name);
    if (!fileLayer || fileLayer.weights.length === 0) {
      if (allowMissing.has(layer.name)) missing.push(layer.name);
      else notAllowed.push(layer.name);
      continue;
    }
    const expected = layer.weights;
    const modelShort = expected.map((w) => shortWeightName(w.originalName));
    const fileShort = fileLayer.weights.map((w) => shortWeightName(w.name));
    if (fileLayer.weights.length !== expected.length) {
      throw new FttlError(
        'weights',
        `${src}: layer "${layer.name}" has ${fileLayer.weights.length} weights in the file (${fileShort.join(', ')}) ` +
          `but the model's layer has ${expected.length} (${modelShort.join(', ')}) — is this the right architecture?`,
      );
    }
    // Pair by name when both sides use the same distinct names (robust to order); else by Keras order.
    const sameNames =
      new Set(fileShort).size === fileShort.length &&
      modelShort.every((n) => fileShort.includes(n));
    const values = sameNames ? modelShort.map((n) => fileLayer.weights[fileShort.indexOf(n)]!) : fileLayer.weights;
    expected.forEach((w, i) => {
      const v = values[i]!;
      const want = w.shape;
      if (v.shape.length !== want.length || v.shape.some((d, k) => d !== want[k])) {
        throw new FttlError(
          'weights',
          `${src}: layer "${layer.name}": ${modelShort[i]} has shape ${fmt(v.shape)}, the model expects ${fmt(want)}` +
            ` — is this the right alpha/architecture?`,
        );
      }
      const size = want.reduce<number>((a, d) => a * (d ?? 1), 1);
      if (v.data.length !== size) {
        throw new FttlError('weights', `${src}: layer "${layer.name}": ${v.name} holds ${v.data.length} values, not ${size}.`);
      }
    });
    plan.push({ layer, values });
  }
  if (notAllowed.length > 0) {
    const present = layers.filter((l) => l.weights.length > 0).map((l) => l.layer);
    throw new FttlError(
      'weights',
      `${src}: ${notAllowed.length} of the model's layers have no weights in the file: ${describeList(notAllowed)}. ` +
        `The file has weights for: ${describeList(present)} — is this the right architecture?`,
    );
  }

  for (const { layer, values } of plan) {
    const tensors = values.map((v, i) => tf.tensor(v.data, layer.weights[i]!.shape as number[], 'float32'));
    try {
      layer.setWeights(tensors);
    } finally {
      tf.dispose(tensors);
    }
  }
  const ignored = layers.filter((l) => l.weights.length > 0 && !modelNames.has(l.layer)).map((l) => l.layer);
  return { loaded: plan.map((p) => p.layer.name), ignored, missing };
}

/** readKerasH5 then applyKerasWeights, with the file's path in any error message. */
export async function loadKerasWeights(
  model: tf.LayersModel,
  path: string,
  opts: Omit<ApplyKerasWeightsOptions, 'source'> = {},
): Promise<ApplyKerasWeightsResult & { kerasVersion?: string }> {
  const contents = await readKerasH5(path);
  const result = applyKerasWeights(model, contents.layers, { ...opts, source: path });
  return contents.kerasVersion !== undefined ? { ...result, kerasVersion: contents.kerasVersion } : result;
}
