// A functional tf.layers model's topology as plain JSON (what model.json holds), and the surgery
// fine-tuning needs: cutting it after the frozen prefix, and appending a pooling layer and a head.
// Working on the serialised form keeps the backbone untouched (it is shared with other runs) and
// gives models made only of standard layers, loadable by tf.loadLayersModel anywhere.
import * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';

type Json = Record<string, unknown>;
/** [layer name, node index, tensor index, kwargs] */
export type InboundRef = [string, number, number, Json];

export interface LayerJson {
  name: string;
  class_name: string;
  config: Json & { name: string };
  inbound_nodes: InboundRef[][];
}

export interface ModelGraph {
  name: string;
  layers: LayerJson[];
  byName: Map<string, LayerJson>;
  inputs: [string, number, number][];
}

/** The topology of a functional model; refuses layers used more than once (shared layers cannot be cut). */
export function modelGraph(model: tf.LayersModel): ModelGraph {
  const json = model.toJSON(null, false) as unknown as { class_name: string; config: Json };
  if (json.class_name !== 'Model' && json.class_name !== 'Functional') {
    throw new FttlError('bad-input', `Fine-tuning needs a functional model; ${model.name} is a ${json.class_name}.`);
  }
  const config = json.config as { name: string; layers: LayerJson[]; input_layers: [string, number, number][] };
  for (const l of config.layers) {
    if (l.inbound_nodes.length > 1) {
      throw new FttlError('bad-input', `Layer "${l.name}" of ${model.name} is applied ${l.inbound_nodes.length} times; FTTL cannot fine-tune models with shared layers.`);
    }
  }
  return { name: config.name, layers: config.layers, byName: new Map(config.layers.map((l) => [l.name, l])), inputs: config.input_layers };
}

/** Names of the layers feeding `layer` directly. */
export function inboundNames(layer: LayerJson): string[] {
  return (layer.inbound_nodes[0] ?? []).map((ref) => ref[0]);
}

/** `names` and every layer they depend on, transitively. */
export function ancestors(g: ModelGraph, names: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    const layer = g.byName.get(n);
    if (layer) stack.push(...inboundNames(layer));
  }
  return seen;
}

/** A GlobalAveragePooling2D / Flatten layer on `from`, named as featureModel names them. */
export function poolingLayer(mode: 'avg' | 'flatten', from: string): LayerJson {
  const name = `fttl_${mode}_${from}`;
  return {
    name,
    class_name: mode === 'avg' ? 'GlobalAveragePooling2D' : 'Flatten',
    config: { name, trainable: true, data_format: 'channels_last' },
    inbound_nodes: [[[from, 0, 0, {}]]],
  };
}

/** A Sequential head's layers, renamed `<prefix><name>` and chained after `from`. */
export function headLayers(head: tf.LayersModel, from: string, prefix: string): LayerJson[] {
  const json = head.toJSON(null, false) as unknown as { class_name: string; config: { layers: { class_name: string; config: Json & { name: string } }[] } };
  if (json.class_name !== 'Sequential') throw new FttlError('bad-input', `A head must be a Sequential model, got a ${json.class_name}.`);
  let prev = from;
  return json.config.layers.map((l) => {
    const config: Json & { name: string } = { ...l.config, name: `${prefix}${l.config.name}` };
    delete config['batch_input_shape'];
    delete config['input_shape'];
    const layer: LayerJson = { name: config.name, class_name: l.class_name, config, inbound_nodes: [[[prev, 0, 0, {}]]] };
    prev = config.name;
    return layer;
  });
}

/** An InputLayer for a tensor of shape [batch, ...shape]. */
export function inputLayer(name: string, shape: number[]): LayerJson {
  return {
    name,
    class_name: 'InputLayer',
    config: { name, batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false },
    inbound_nodes: [],
  };
}

/** `layer` with every inbound reference to `from` pointing at `to` instead. */
export function rewire(layer: LayerJson, from: string, to: string): LayerJson {
  return {
    ...layer,
    config: { ...layer.config },
    inbound_nodes: layer.inbound_nodes.map((node) => node.map((ref) => (ref[0] === from ? [to, 0, 0, ref[3]] : ref) as InboundRef)),
  };
}

/** Builds a functional model from layer JSON (weights freshly initialised: copy them in afterwards). */
export async function buildModel(name: string, layers: LayerJson[], inputs: string[], output: string): Promise<tf.LayersModel> {
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) throw new FttlError('internal', `Layer name "${l.name}" appears twice in ${name}.`);
    names.add(l.name);
  }
  const topology = {
    class_name: 'Model',
    config: {
      name,
      layers,
      input_layers: inputs.map((n) => [n, 0, 0]),
      output_layers: [[output, 0, 0]],
    },
  };
  return tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
}

/**
 * Copies weights into `target`'s layers from the first source model holding a layer of that name
 * (after `rename`, e.g. stripping a head prefix). Every layer with weights must find a source.
 */
export function copyWeights(target: tf.LayersModel, sources: { model: tf.LayersModel; rename?: (name: string) => string | undefined }[]): void {
  for (const layer of target.layers) {
    if (layer.weights.length === 0) continue;
    let done = false;
    for (const src of sources) {
      const srcName = src.rename ? src.rename(layer.name) : layer.name;
      if (srcName === undefined) continue;
      const from = src.model.layers.find((l) => l.name === srcName);
      if (!from) continue;
      const weights = from.getWeights();
      const want = layer.weights.map((w) => w.shape.join('×')).join(', ');
      const have = weights.map((w) => w.shape.join('×')).join(', ');
      if (want !== have) throw new FttlError('weights', `Layer "${layer.name}" needs weights ${want} but its source "${srcName}" holds ${have}.`);
      layer.setWeights(weights);
      done = true;
      break;
    }
    if (!done) throw new FttlError('internal', `No weights for layer "${layer.name}".`);
  }
}
