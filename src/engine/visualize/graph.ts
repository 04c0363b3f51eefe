// Runs parts of a tf.LayersModel's graph eagerly, layer by layer, from any tensor in it: what
// Grad-CAM needs (the model split at a conv layer, the rest differentiable with respect to that
// layer's output) and what activations need (any layer's output, inside nested models too).
import * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';

type Sym = tf.SymbolicTensor;

/** The parts of tfjs-layers' (unexported) Node class this module reads. */
interface GraphNode {
  inputTensors: Sym[];
  outputTensors: Sym[];
  callArgs?: Record<string, unknown>;
}

/** One step down a path to a layer: `container` holds `node`, where the next layer (nested model or target) is applied. */
export interface PathLevel {
  container: tf.LayersModel;
  node: GraphNode;
}

/** Where a layer sits in a model: levels[0].container is the model; the last level's node is the layer's own. */
export interface LayerPath {
  layer: tf.layers.Layer;
  levels: PathLevel[];
}

function nodeOf(sym: Sym): GraphNode {
  return sym.sourceLayer.inboundNodes[sym.nodeIndex] as unknown as GraphNode;
}

/** The node through which `container`'s outputs use `layer` (throws when it is used more than once or not at all). */
function nodeIn(container: tf.LayersModel, layer: tf.layers.Layer): GraphNode | undefined {
  const seen = new Set<number>();
  const found = new Set<GraphNode>();
  const stack: Sym[] = [...container.outputs];
  while (stack.length) {
    const sym = stack.pop()!;
    if (seen.has(sym.id)) continue;
    seen.add(sym.id);
    const node = nodeOf(sym);
    if (sym.sourceLayer === layer) found.add(node);
    if (node) stack.push(...node.inputTensors);
  }
  if (found.size > 1) throw new FttlError('bad-input', `Layer "${layer.name}" is applied ${found.size} times in ${container.name}; pick a layer used once.`);
  return found.values().next().value;
}

/**
 * Finds `name` in `model`, looking at its own layers first, then inside nested models (a run's head,
 * a backbone used as one layer of a fine-tuned model). Throws FttlError('bad-input') listing some names.
 */
export function locateLayer(model: tf.LayersModel, name: string): LayerPath {
  const search = (container: tf.LayersModel): LayerPath | undefined => {
    const own = container.layers.find((l) => l.name === name);
    if (own) {
      const node = nodeIn(container, own);
      if (!node) return undefined;
      return { layer: own, levels: [{ container, node }] };
    }
    for (const l of container.layers) {
      if (!(l instanceof tf.LayersModel)) continue;
      const inner = search(l);
      if (!inner) continue;
      const node = nodeIn(container, l);
      if (!node) continue;
      return { layer: inner.layer, levels: [{ container, node }, ...inner.levels] };
    }
    return undefined;
  };
  const path = search(model);
  if (!path) {
    const names = model.layers.map((l) => l.name);
    const shown = names.length > 12 ? [...names.slice(0, 6), '…', ...names.slice(-5)] : names;
    throw new FttlError('bad-input', `Model ${model.name} has no layer "${name}" (its layers: ${shown.join(', ')}).`);
  }
  return path;
}

/** Symbolic-tensor id → computed value, for one container of a path. */
export type ValueCache = Map<number, tf.Tensor>;

/** Layers that only rearrange values: a softmax just before them is still the model's last nonlinearity. */
const RESHAPING = new Set(['Reshape', 'Flatten']);

/** Whether a layer turns its input into probabilities with a softmax we can step over. */
function softmaxKind(layer: tf.layers.Layer): 'dense' | 'activation' | null {
  const cls = layer.getClassName();
  const activation = (layer.getConfig() as { activation?: unknown }).activation;
  if (cls === 'Dense' && activation === 'softmax') return 'dense';
  if ((cls === 'Activation' && activation === 'softmax') || cls === 'Softmax') return 'activation';
  return null;
}

export interface EvaluateResult {
  values: tf.Tensor[];
  /** True when `logits` was asked for and the output's final softmax was stepped over. */
  logits: boolean;
}

/**
 * Computes `targets` of `container` from the values already in `cache` (feeds: model inputs or any
 * intermediate tensor), applying each layer eagerly in inference mode (training: false). Nested
 * models are walked into. With `logits`, a target that is the output of a softmax Dense / Activation
 * / Softmax layer (possibly followed by Reshape / Flatten) is computed without that softmax (the
 * pre-softmax score Grad-CAM uses).
 * Tensors it creates are not disposed: call it inside tf.tidy (or tf.grad).
 */
export function evaluate(container: tf.LayersModel, targets: Sym[], cache: ValueCache, opts: { logits?: boolean } = {}): EvaluateResult {
  let logitsDone = false;
  const compute = (sym: Sym): tf.Tensor => {
    const known = cache.get(sym.id);
    if (known) return known;
    const layer = sym.sourceLayer;
    if (layer.getClassName() === 'InputLayer') {
      throw new FttlError('bad-input', `Computing this part of ${container.name} needs its input "${layer.name}", which was not given.`);
    }
    const node = nodeOf(sym);
    const inputs = node.inputTensors.map(compute);
    let outputs: tf.Tensor[];
    if (layer instanceof tf.LayersModel) {
      const inner: ValueCache = new Map();
      layer.inputs.forEach((s, i) => inner.set(s.id, inputs[i]!));
      outputs = evaluate(layer, layer.outputs, inner).values;
    } else {
      const { training: _ignored, ...kwargs } = node.callArgs ?? {};
      const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, kwargs) as tf.Tensor | tf.Tensor[];
      outputs = Array.isArray(out) ? out : [out];
    }
    node.outputTensors.forEach((s, i) => cache.set(s.id, outputs[i]!));
    return outputs[sym.tensorIndex] ?? outputs[0]!;
  };
  // A target's value with its final softmax stepped over when that is possible (logits: true).
  const scoreOf = (sym: Sym): { value: tf.Tensor; logits: boolean } => {
    const layer = sym.sourceLayer;
    const node = nodeOf(sym);
    if (cache.has(sym.id) || layer.getClassName() === 'InputLayer') return { value: compute(sym), logits: false };
    if (layer instanceof tf.LayersModel) {
      const inputs = node.inputTensors.map(compute);
      const inner: ValueCache = new Map();
      layer.inputs.forEach((s, i) => inner.set(s.id, inputs[i]!));
      const r = evaluate(layer, [layer.outputs[sym.tensorIndex] ?? layer.outputs[0]!], inner, { logits: true });
      return { value: r.values[0]!, logits: r.logits };
    }
    const kind = softmaxKind(layer);
    if (!kind && RESHAPING.has(layer.getClassName()) && node.inputTensors.length === 1) {
      // Keras MobileNet ends softmax → Reshape: step over the softmax below the reshape.
      const inner = scoreOf(node.inputTensors[0]!);
      if (inner.logits) return { value: layer.apply(inner.value) as tf.Tensor, logits: true };
      return { value: compute(sym), logits: false };
    }
    if (kind && node.inputTensors.length === 1) {
      const x = compute(node.inputTensors[0]!);
      if (kind === 'activation') return { value: x, logits: true };
      if (x.rank === 2) {
        const [kernel, bias] = layer.getWeights();
        const z = tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
        return { value: bias ? tf.add(z, bias) : z, logits: true };
      }
    }
    return { value: compute(sym), logits: false };
  };
  const values = targets.map((t) => {
    if (!opts.logits) return compute(t);
    const r = scoreOf(t);
    logitsDone ||= r.logits;
    return r.value;
  });
  return { values, logits: logitsDone };
}

/** Starts a path's forward pass: the model's input fed into the outermost container. */
export function feedInputs(model: tf.LayersModel, inputs: tf.Tensor[]): ValueCache {
  if (inputs.length !== model.inputs.length) {
    throw new FttlError('bad-input', `${model.name} takes ${model.inputs.length} inputs; ${inputs.length} given.`);
  }
  return new Map(model.inputs.map((s, i) => [s.id, inputs[i]!]));
}

/**
 * Forward pass from the model input to the located layer's output. Returns the layer's first output
 * and one cache per level (what was computed there), which `evaluateRest` reuses so branches that do
 * not pass through the layer (skip connections) are constants, not recomputed.
 */
export function forwardTo(path: LayerPath, inputs: tf.Tensor[]): { value: tf.Tensor; caches: ValueCache[] } {
  const caches: ValueCache[] = [];
  let cache = feedInputs(path.levels[0]!.container, inputs);
  for (let i = 0; i < path.levels.length; i++) {
    const { container, node } = path.levels[i]!;
    caches.push(cache);
    const last = i === path.levels.length - 1;
    const wanted = last ? [node.outputTensors[0]!] : node.inputTensors;
    const values = evaluate(container, wanted, cache).values;
    if (last) return { value: values[0]!, caches };
    const next = path.levels[i + 1]!.container;
    cache = new Map(next.inputs.map((s, k) => [s.id, values[k]!]));
  }
  throw new FttlError('internal', 'forwardTo: empty layer path');
}

/**
 * The model's first output computed from a value given for the located layer's output, everything
 * else taken from the forward pass's caches. Differentiable with respect to `value`.
 */
export function evaluateRest(path: LayerPath, caches: ValueCache[], value: tf.Tensor, opts: { logits?: boolean } = {}): EvaluateResult {
  let values: tf.Tensor[] = [value];
  let logits = false;
  for (let i = path.levels.length - 1; i >= 0; i--) {
    const { container, node } = path.levels[i]!;
    const cache: ValueCache = new Map(caches[i]!);
    // Only the located layer's first output is replaced; its other outputs (if any) are recomputed as needed.
    const outs = i === path.levels.length - 1 ? [node.outputTensors[0]!] : node.outputTensors;
    outs.forEach((s, k) => cache.set(s.id, values[k]!));
    const targets = i === 0 ? [container.outputs[0]!] : container.outputs;
    // Only the outermost level ends in the model's output: only there may a final softmax be stepped over.
    const r = evaluate(container, targets, cache, { logits: opts.logits === true && i === 0 });
    values = r.values;
    logits = r.logits;
  }
  return { values, logits };
}
