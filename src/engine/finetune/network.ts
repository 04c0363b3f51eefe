import * as tf from '@tensorflow/tfjs';
import type { Backbone } from '../backbones/backbone.js';
import { FttlError } from '../util/errors.js';
import { ancestors, buildModel, copyWeights, headLayers, inboundNames, inputLayer, modelGraph, poolingLayer, rewire, type LayerJson } from './graph.js';
import type { FinetunePlan } from './plan.js';

/** Head layers are renamed with this prefix inside a fine-tuned model (no clash with backbone names). */
export const HEAD_PREFIX = 'head_';
/** The trainable network's input: the frozen prefix's output. */
export const CUT_INPUT = 'fttl_prefix_output';

export interface GraphNode {
  name: string;
  inputs: string[];
  /** Trainable backbone layers, the pooling layer, or head layers. */
  part: 'backbone' | 'pooling' | 'head';
}

/** The part of a fine-tuned network that trains: frozen-prefix output → class probabilities. */
export interface FinetuneNetwork {
  model: tf.LayersModel;
  /** Its layers in topological order with their inputs (for the training-mode forward pass). */
  nodes: GraphNode[];
  output: string;
  /** Size of the head's input (the pooled feature vector). */
  featureDim: number;
  numClasses: number;
  plan: FinetunePlan;
}

/** The pooled feature size the head gets, from the backbone's layer shape. */
export function pooledDim(b: Backbone, plan: Pick<FinetunePlan, 'featureLayer' | 'pooling'>): number {
  const shape = (b.model.getLayer(plan.featureLayer).outputShape as number[]).slice(1);
  if (shape.length === 1 || plan.pooling === 'none') return shape.reduce((a, d) => a * d, 1);
  return plan.pooling === 'avg' ? shape.at(-1)! : shape.reduce((a, d) => a * d, 1);
}

function withPooling(b: Backbone, plan: FinetunePlan, layers: LayerJson[]): { layers: LayerJson[]; last: string } {
  const rank = (b.model.getLayer(plan.featureLayer).outputShape as number[]).length;
  if (plan.pooling === 'none' || rank === 2) return { layers, last: plan.featureLayer };
  const pool = poolingLayer(plan.pooling, plan.featureLayer);
  return { layers: [...layers, pool], last: pool.name };
}

/**
 * Builds the trainable network — the backbone's trainable layers (weights copied from the
 * backbone, which stays untouched), the pooling layer, and `head`'s layers (weights copied from
 * it) — as one functional model whose input is the frozen prefix's output.
 */
export async function buildTrainableNetwork(b: Backbone, plan: FinetunePlan, head: tf.LayersModel): Promise<FinetuneNetwork> {
  const featureDim = pooledDim(b, plan);
  const headIn = head.inputs[0]?.shape.at(-1);
  if (headIn !== featureDim) throw new FttlError('bad-input', `The head takes ${headIn}-d input but ${plan.featureLayer} (${plan.pooling}) gives ${featureDim}-d features.`);
  const trainable = plan.trainableLayers.map((n) => rewire(plan.graph.byName.get(n)!, plan.cutLayer, CUT_INPUT));
  const pooled = withPooling(b, plan, [inputLayer(CUT_INPUT, plan.cutShape), ...trainable]);
  const headJson = headLayers(head, pooled.last, HEAD_PREFIX);
  const layers = [...pooled.layers, ...headJson];
  const output = headJson.at(-1)!.name;
  const model = await buildModel(`fttl_finetune_${plan.featureLayer}`, layers, [CUT_INPUT], output);
  try {
    copyWeights(model, [
      { model: head, rename: (n) => (n.startsWith(HEAD_PREFIX) ? n.slice(HEAD_PREFIX.length) : undefined) },
      { model: b.model },
    ]);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const trainableSet = new Set(plan.trainableLayers);
  const nodes: GraphNode[] = layers.slice(1).map((l) => ({
    name: l.name,
    inputs: inboundNames(l),
    part: trainableSet.has(l.name) ? 'backbone' : l.name.startsWith(HEAD_PREFIX) ? 'head' : 'pooling',
  }));
  const numClasses = model.outputs[0]!.shape.at(-1)!;
  return { model, nodes, output, featureDim, numClasses, plan };
}

/**
 * The whole fine-tuned classifier, image → probabilities: the backbone's frozen prefix (its
 * weights, unchanged) followed by the trained network (its current weights). A plain functional
 * model of standard layers, saved as a TF.js Layers model.
 */
export async function buildFullModel(b: Backbone, net: FinetuneNetwork): Promise<tf.LayersModel> {
  const { plan } = net;
  const prefixNames = ancestors(plan.graph, [plan.cutLayer]);
  const prefix = plan.graph.layers.filter((l) => prefixNames.has(l.name));
  const trained = modelGraph(net.model).layers.filter((l) => l.name !== CUT_INPUT).map((l) => rewire(l, CUT_INPUT, plan.cutLayer));
  const inputs = plan.graph.inputs.map((i) => i[0]);
  const model = await buildModel(`fttl_finetuned_${b.model.name}`, [...prefix, ...trained], inputs, net.output);
  try {
    copyWeights(model, [{ model: net.model }, { model: b.model }]);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/**
 * Training-mode forward pass of the trainable network. BatchNorm: head layers use batch
 * statistics (as when heads train alone); those of the unfrozen backbone block do so only when
 * `backboneBatchNorm` is 'train'. Dropout draws its mask from `dropoutSeed` (fresh per step).
 */
export function forwardTrain(net: FinetuneNetwork, x: tf.Tensor, opts: { backboneBatchNorm: 'train' | 'frozen'; dropoutSeed: number }): tf.Tensor {
  const values = new Map<string, tf.Tensor>([[CUT_INPUT, x]]);
  net.nodes.forEach((node, i) => {
    const layer = net.model.getLayer(node.name);
    const inputs = node.inputs.map((n) => values.get(n)!);
    const input = inputs.length === 1 ? inputs[0]! : inputs;
    let out: tf.Tensor;
    const cls = layer.getClassName();
    if (cls === 'Dropout') {
      const rate = (layer.getConfig() as { rate: number }).rate;
      out = tf.dropout(inputs[0]!, rate, undefined, opts.dropoutSeed + i);
    } else if (cls === 'BatchNormalization') {
      const training = node.part === 'head' || opts.backboneBatchNorm === 'train';
      out = layer.apply(input, { training }) as tf.Tensor;
    } else {
      out = layer.apply(input, { training: true }) as tf.Tensor;
    }
    values.set(node.name, out);
  });
  return values.get(net.output)!;
}
