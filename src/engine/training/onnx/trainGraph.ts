import * as tf from '@tensorflow/tfjs';
import { endianness } from 'node:os';
import { PROB_EPSILON } from '../../heads/metrics.js';
import type { OptimizerSpec } from '../optimizer.js';
import { pair, samePads, UnsupportedModelError } from '../../inference/onnx/exportOnnx.js';
import { GraphBuilder } from '../../inference/onnx/graph.js';
import { attr, DataType, encodeModel, type ValueInfoProto } from '../../inference/onnx/onnxProto.js';

/**
 * Builds, from a tfjs Layers model whose output is class probabilities, two ONNX graphs that
 * onnxruntime runs (it has no training API in Node, so the backward pass is written out here):
 *
 * - **train**: inputs `x` (a batch, Keras layout), `onehot` labels, `sample_weight` (per-row weight
 *   already divided by the batch size), one `mask_<k>` per Dropout layer and every model weight
 *   `p<i>` (in `model.weights` order, Keras shapes); outputs `loss` — Σ wᵢ·CE(yᵢ, pᵢ) with the
 *   probabilities clipped to [ε, 1−ε] as FTTL's tfjs step computes it —, `probs`, the gradient
 *   `grad_p<i>` of every trainable weight and the updated moving statistics `new_p<i>` of the
 *   BatchNorm layers that train on batch statistics. With an optimiser (what training uses) the
 *   graph also takes its slots and applies its update: trainable weights come out as `new_p<i>`
 *   and slots as `new_slot_…`, ready to be fed to the next step, instead of gradients.
 * - **predict**: `x` and the weights → `probs`, in inference mode (moving statistics, no dropout).
 *
 * Weights are graph inputs, not initialisers, so one graph serves every step of a run. The reverse
 * pass is built layer by layer with the gradient rules tfjs uses (ReLU's at 0, ReLU6's at 6, a
 * BatchNorm's through its batch moments), and is pinned against tf.grads by
 * test/engine/training/trainGraph.test.ts.
 *
 * Layers: Conv2D, DepthwiseConv2D (multiplier 1), Dense (on vectors), BatchNormalization (channel
 * axis), Activation / ReLU (linear, relu, relu6, sigmoid, tanh, softmax on vectors), MaxPooling2D,
 * GlobalAveragePooling2D, Flatten, Dropout, ZeroPadding2D, Add. Anything else throws
 * UnsupportedModelError naming the layer (callers then train on tfjs).
 */
export interface TrainGraphOptions {
  /** Whether a BatchNormalization layer normalises with batch statistics while training. */
  bnTraining: (layerName: string) => boolean;
  /**
   * With an optimiser the train graph also applies its update: it takes the optimiser's slots and
   * returns every trainable weight and slot updated (`new_p<i>`, `new_<slot>`) instead of gradients.
   * Elementwise updates run vectorised in onnxruntime; in JavaScript they took longer than the step.
   */
  optimizer?: OptimizerSpec;
}

/** An optimiser slot (momentum, Adam's moments, Adadelta's accumulators): zeros at the start. */
export interface SlotInfo {
  input: string;
  output: string;
  shape: number[];
}

export interface ParamInfo {
  /** Index in model.weights; the graph input is `p<index>`. */
  index: number;
  shape: number[];
  trainable: boolean;
}

export interface DropoutInput {
  input: string;
  /** Shape without the batch axis. */
  shape: number[];
  rate: number;
}

export interface TrainGraphs {
  train: Uint8Array;
  predict: Uint8Array;
  params: ParamInfo[];
  /** Without an optimiser: weights (model.weights indices) the train graph returns a gradient for, as `grad_p<i>`. */
  gradients: number[];
  /** Weights the train graph returns updated, as `new_p<i>`: moving statistics, and with an optimiser the trainable weights. */
  states: number[];
  /** With an optimiser: its slots, fed back each step. */
  slots: SlotInfo[];
  dropout: DropoutInput[];
  /** The input's shape without the batch axis (Keras layout). */
  inputShape: number[];
  numClasses: number;
}

export const TRAIN_INPUTS = { x: 'x', onehot: 'onehot', sampleWeight: 'sample_weight' } as const;
export const TRAIN_OUTPUTS = { loss: 'loss', probs: 'probs' } as const;
export const paramInput = (i: number) => `p${i}`;
export const gradOutput = (i: number) => `grad_p${i}`;
export const stateOutput = (i: number) => `new_p${i}`;
/** Adam's bias corrections for the step, 1 − β₁ᵗ and 1 − β₂ᵗ (scalars). */
export const ADAM_INPUTS = { c1: 'adam_c1', c2: 'adam_c2' } as const;

type Mode = 'train' | 'predict';

/** Opset 16 for ScatterElements' summing reduction (the max-pool gradient); IR version 8 goes with it. */
const TRAIN_OPSET = 16;
const TRAIN_IR_VERSION = 8;

/** A value while the graph is built: rank-4 values live in NCHW; `shape` is Keras' (NHWC, no batch). */
interface Val {
  name: string;
  shape: number[];
  /** Whether a trainable weight influences it (only then is its gradient computed). */
  grad: boolean;
}

interface KerasNode {
  inputTensors: tf.SymbolicTensor[];
}

export function buildTrainGraphs(model: tf.LayersModel, opts: TrainGraphOptions): TrainGraphs {
  if (endianness() !== 'LE') throw new UnsupportedModelError('ONNX training graphs need a little-endian machine');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new UnsupportedModelError(`training on onnxruntime needs one input and one output; ${model.name} has ${model.inputs.length} and ${model.outputs.length}`);
  const inputShape = model.inputs[0]!.shape.slice(1);
  const outShape = model.outputs[0]!.shape;
  if (inputShape.some((d) => typeof d !== 'number') || outShape.length !== 2 || typeof outShape[1] !== 'number') {
    throw new UnsupportedModelError(`training on onnxruntime needs a fixed input shape and a [batch, classes] output; ${model.name} has [${model.inputs[0]!.shape.join(', ')}] → [${outShape.join(', ')}]`);
  }
  const trainable = new Set(model.trainableWeights.map((w) => w.id));
  const params: ParamInfo[] = model.weights.map((w, index) => {
    if (w.dtype !== 'float32') throw new UnsupportedModelError(`weight ${w.name} is ${w.dtype}`);
    return { index, shape: w.shape.slice() as number[], trainable: trainable.has(w.id) };
  });
  const train = new Builder(model, opts, 'train', params);
  const predict = new Builder(model, opts, 'predict', params);
  const numClasses = outShape[1];
  return {
    train: train.encode(inputShape as number[], numClasses),
    predict: predict.encode(inputShape as number[], numClasses),
    params,
    gradients: train.gradientOrder,
    states: train.stateOrder,
    slots: train.slots,
    dropout: train.dropout,
    inputShape: inputShape as number[],
    numClasses,
  };
}

class Builder {
  readonly g = new GraphBuilder();
  /** Backward steps in forward order; run in reverse. */
  private readonly tape: { out: Val; backward: (dy: string) => void }[] = [];
  private readonly grads = new Map<string, string[]>();
  private readonly paramGrads = new Map<number, string[]>();
  private readonly weightIndex = new Map<number, number>();
  readonly dropout: DropoutInput[] = [];
  gradientOrder: number[] = [];
  stateOrder: number[] = [];
  readonly slots: SlotInfo[] = [];
  private outputs: ValueInfoProto[] = [];
  private readonly extraInputs: ValueInfoProto[] = [];

  constructor(
    private readonly model: tf.LayersModel,
    private readonly opts: TrainGraphOptions,
    private readonly mode: Mode,
    private readonly params: ParamInfo[],
  ) {
    model.weights.forEach((w, i) => this.weightIndex.set(w.id, i));
    for (const p of params) this.g.reserve(paramInput(p.index));
  }

  encode(inputShape: number[], K: number): Uint8Array {
    const g = this.g;
    // Fixed names first, so no layer-derived name takes them.
    const xName = g.reserve(TRAIN_INPUTS.x);
    for (const name of [TRAIN_INPUTS.onehot, TRAIN_INPUTS.sampleWeight, TRAIN_OUTPUTS.loss, TRAIN_OUTPUTS.probs]) g.reserve(name);
    const x: Val = { name: inputShape.length === 3 ? g.transpose(xName, [0, 3, 1, 2], 'x_nchw') : xName, shape: inputShape, grad: false };
    const probs = this.forward(x);
    const inputs: ValueInfoProto[] = [{ name: xName, elemType: DataType.FLOAT, shape: ['batch', ...inputShape] }];
    if (this.mode === 'predict') {
      g.op('Identity', [probs.name], {}, 'probs', TRAIN_OUTPUTS.probs);
      this.outputs.push({ name: TRAIN_OUTPUTS.probs, elemType: DataType.FLOAT, shape: ['batch', K] });
    } else {
      inputs.push(
        { name: TRAIN_INPUTS.onehot, elemType: DataType.FLOAT, shape: ['batch', K] },
        { name: TRAIN_INPUTS.sampleWeight, elemType: DataType.FLOAT, shape: ['batch'] },
        ...this.dropout.map((d): ValueInfoProto => ({ name: d.input, elemType: DataType.FLOAT, shape: ['batch', ...d.shape] })),
      );
      this.loss(probs, K);
      this.backward();
      inputs.push(...this.extraInputs);
    }
    for (const p of this.params) inputs.push({ name: paramInput(p.index), elemType: DataType.FLOAT, shape: p.shape });
    return Buffer.concat(
      encodeModel({
        irVersion: TRAIN_IR_VERSION,
        opsetVersion: TRAIN_OPSET,
        producerName: 'fttl',
        producerVersion: '1',
        docString: `${this.model.name}: ${this.mode === 'train' ? 'training step (loss, gradients)' : 'inference'}`,
        metadata: {},
        graph: { name: `${this.model.name}_${this.mode}`, nodes: g.nodes, initializers: g.initializers, inputs, outputs: this.outputs },
      }),
    );
  }

  // ---------------------------------------------------------------- forward, layer by layer

  private forward(x: Val): Val {
    const values = new Map<string, Val>();
    const inputLayer = (this.model.inputs[0]!.sourceLayer as tf.layers.Layer).name;
    values.set(inputLayer, x);
    let last: Val | undefined;
    for (const layer of this.model.layers) {
      if (layer.getClassName() === 'InputLayer') continue;
      const nodes = (layer as unknown as { inboundNodes: KerasNode[] }).inboundNodes;
      if (nodes.length !== 1) throw new UnsupportedModelError(`layer ${layer.name} is used ${nodes.length} times`);
      const ins = nodes[0]!.inputTensors.map((t) => {
        const src = (t.sourceLayer as tf.layers.Layer).name;
        const v = values.get(src);
        if (!v) throw new UnsupportedModelError(`layer ${layer.name}: input ${src} is not computed before it`);
        return v;
      });
      last = this.layer(layer, ins);
      values.set(layer.name, last);
    }
    const out = values.get((this.model.outputs[0]!.sourceLayer as tf.layers.Layer).name);
    if (!out || out !== last) throw new UnsupportedModelError(`${this.model.name}: the output is not its last layer`);
    return out;
  }

  private layer(layer: tf.layers.Layer, ins: Val[]): Val {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    const n = layer.name;
    if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') throw new UnsupportedModelError(`layer ${n} (${cls}): dataFormat ${String(cfg.dataFormat)}`);
    const x = ins[0]!;
    const outShape = (layer.outputShape as number[]).slice(1);
    switch (cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
        return this.activation(this.conv(layer, cls, cfg, x, outShape), String(cfg.activation ?? 'linear'), n);
      case 'Dense':
        if (x.shape.length !== 1) throw new UnsupportedModelError(`layer ${n} (Dense) on a rank-${x.shape.length + 1} input`);
        return this.activation(this.dense(layer, cfg, x), String(cfg.activation ?? 'linear'), n);
      case 'BatchNormalization':
        return this.batchNorm(layer, cfg, x);
      case 'Activation':
        return this.activation(x, String(cfg.activation), n);
      case 'ReLU':
        if (cfg.maxValue != null && Number(cfg.maxValue) !== 6) throw new UnsupportedModelError(`layer ${n} (ReLU) with maxValue ${String(cfg.maxValue)}`);
        return this.activation(x, cfg.maxValue != null ? 'relu6' : 'relu', n);
      case 'MaxPooling2D':
        return this.maxPool(layer, cfg, x, outShape);
      case 'GlobalAveragePooling2D':
        if (cfg.keepDims === true) throw new UnsupportedModelError(`layer ${n} (GlobalAveragePooling2D) with keepDims`);
        return this.globalAvgPool(x, n);
      case 'Flatten':
        return this.flatten(x, n);
      case 'Dropout':
        if (cfg.noiseShape != null) throw new UnsupportedModelError(`layer ${n} (Dropout) with a noise shape`);
        return this.dropoutLayer(x, Number(cfg.rate), n);
      case 'ZeroPadding2D':
        return this.zeroPad(cfg, x, outShape, n);
      case 'Add':
        return this.add(ins, n);
      default:
        throw new UnsupportedModelError(`layer ${n} (${cls}) has no training rule on onnxruntime`);
    }
  }

  // ---------------------------------------------------------------- helpers

  private ints = (v: number[]) => this.g.intConst('i', v);
  private scalar = (v: number) => this.g.floatConst('c', [], Float32Array.of(v));
  private op = (type: string, inputs: string[], attributes: Parameters<GraphBuilder['op']>[2] = {}, base = type) => this.g.op(type, inputs, attributes, base);
  private sum = (x: string, axes: number[], keep: boolean, base = 'sum') => this.op('ReduceSum', [x, this.ints(axes)], { keepdims: attr.int(keep ? 1 : 0) }, base);
  private mean = (x: string, axes: number[], keep: boolean, base = 'mean') => this.op('ReduceMean', [x], { axes: attr.ints(axes), keepdims: attr.int(keep ? 1 : 0) }, base);
  private nhwc = (x: string, base: string) => this.g.transpose(x, [0, 2, 3, 1], base);

  private record(out: Val, backward: (dy: string) => void): Val {
    if (this.mode === 'train' && out.grad) this.tape.push({ out, backward });
    return out;
  }

  private addGrad(v: Val, dx: string): void {
    if (!v.grad) return;
    const list = this.grads.get(v.name) ?? [];
    list.push(dx);
    this.grads.set(v.name, list);
  }

  /** A layer weight by its Keras short name, as its graph input. */
  private weight(layer: tf.layers.Layer, short: string, required = true): { input: string; index: number; trainable: boolean } | undefined {
    for (const w of layer.weights) {
      const name = (w.originalName ?? w.name).split('/').pop()!.replace(/:\d+$/, '').replace(/_\d+$/, '');
      if (name !== short) continue;
      const index = this.weightIndex.get(w.id)!;
      return { input: paramInput(index), index, trainable: this.params[index]!.trainable };
    }
    if (required) throw new UnsupportedModelError(`layer ${layer.name} (${layer.getClassName()}) has no "${short}" weight`);
    return undefined;
  }

  private paramGrad(p: { index: number; trainable: boolean } | undefined, grad: () => string): void {
    if (!p?.trainable || this.mode !== 'train') return;
    const list = this.paramGrads.get(p.index) ?? [];
    list.push(grad());
    this.paramGrads.set(p.index, list);
  }

  private pads(layer: tf.layers.Layer, padding: string, shape: number[], k: [number, number], s: [number, number]): [number, number, number, number] {
    if (padding === 'valid') return [0, 0, 0, 0];
    if (padding !== 'same') throw new UnsupportedModelError(`layer ${layer.name}: padding '${padding}'`);
    const [t, b] = samePads(shape[0]!, k[0], s[0]);
    const [l, r] = samePads(shape[1]!, k[1], s[1]);
    return [t, l, b, r];
  }

  // ---------------------------------------------------------------- layers

  private conv(layer: tf.layers.Layer, cls: string, cfg: Record<string, unknown>, x: Val, outShape: number[]): Val {
    const n = layer.name;
    const k = pair(cfg.kernelSize, `size in layer ${n}`);
    const s = pair(cfg.strides ?? 1, `size in layer ${n}`);
    const d = pair(cfg.dilationRate ?? 1, `size in layer ${n}`);
    if (d[0] !== 1 || d[1] !== 1) throw new UnsupportedModelError(`layer ${n} (${cls}) with dilation`);
    const depthwise = cls === 'DepthwiseConv2D';
    if (depthwise && Number(cfg.depthMultiplier ?? 1) !== 1) throw new UnsupportedModelError(`layer ${n} (DepthwiseConv2D) with depth multiplier ${String(cfg.depthMultiplier)}`);
    if (!depthwise && Number(cfg.groups ?? 1) !== 1) throw new UnsupportedModelError(`layer ${n} (Conv2D) with groups`);
    const [H, W, C] = x.shape as [number, number, number];
    const [Ho, Wo, O] = outShape as [number, number, number];
    const pads = this.pads(layer, String(cfg.padding), x.shape, k, s);
    const kern = this.weight(layer, depthwise ? 'depthwise_kernel' : 'kernel')!;
    const bias = cfg.useBias !== false ? this.weight(layer, 'bias') : undefined;
    // Keras [kh, kw, in, out] (depthwise [kh, kw, C, 1]) → ONNX [out, in/groups, kh, kw].
    const Wt = depthwise ? this.g.transpose(kern.input, [2, 3, 0, 1], `${n}_w`) : this.g.transpose(kern.input, [3, 2, 0, 1], `${n}_w`);
    const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(s), pads: attr.ints(pads), ...(depthwise ? { group: attr.int(C) } : {}) };
    const y = this.op('Conv', [x.name, Wt, ...(bias ? [bias.input] : [])], attrs, n);
    const out: Val = { name: y, shape: outShape, grad: x.grad || kern.trainable || !!bias?.trainable };
    return this.record(out, (dy) => {
      if (x.grad) {
        // The input gradient is the transposed convolution of dy with the same kernel.
        const outPad = [H - (s[0] * (Ho - 1) + k[0] - pads[0] - pads[2]), W - (s[1] * (Wo - 1) + k[1] - pads[1] - pads[3])];
        if (outPad.some((p, i) => p < 0 || p >= s[i]!)) throw new UnsupportedModelError(`layer ${n}: no transposed convolution gives back ${H}×${W}`);
        this.addGrad(x, this.op('ConvTranspose', [dy, Wt], { ...attrs, output_padding: attr.ints(outPad) }, `${n}_dx`));
      }
      this.paramGrad(bias, () => this.sum(dy, [0, 2, 3], false, `${n}_db`));
      this.paramGrad(kern, () => {
        // im2col by slices: one strided window of the padded input per kernel tap, NHWC.
        const padded = pads.some((p) => p !== 0) ? this.op('Pad', [x.name, this.ints([0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]])], { mode: attr.string('constant') }, `${n}_xpad`) : x.name;
        const xh = this.nhwc(padded, `${n}_xpad_nhwc`);
        const dyh = this.nhwc(dy, `${n}_dy_nhwc`);
        const oneTap = !depthwise && k[0] === 1 && k[1] === 1 && s[0] === 1 && s[1] === 1;
        const taps: string[] = [];
        if (!oneTap) {
          for (let a = 0; a < k[0]; a++)
            for (let b = 0; b < k[1]; b++) {
              const tap = this.op('Slice', [xh, this.ints([a, b]), this.ints([a + s[0] * (Ho - 1) + 1, b + s[1] * (Wo - 1) + 1]), this.ints([1, 2]), this.ints(s)], {}, `${n}_tap`);
              taps.push(depthwise ? this.op('Unsqueeze', [tap, this.ints([3])], {}, `${n}_tap`) : tap);
            }
        }
        if (depthwise) {
          // dW[a, b, c] = Σ_{n,h,w} dy[n,h,w,c] · x[n, h·s+a, w·s+b, c]
          const stacked = this.op('Concat', taps, { axis: attr.int(3) }, `${n}_taps`);
          const prod = this.op('Mul', [stacked, this.op('Unsqueeze', [dyh, this.ints([3])], {}, `${n}_dy5`)], {}, `${n}_prod`);
          return this.op('Reshape', [this.sum(prod, [0, 1, 2], false, `${n}_dw9`), this.ints([k[0], k[1], C, 1])], {}, `${n}_dw`);
        }
        const cols = oneTap ? xh : this.op('Concat', taps, { axis: attr.int(3) }, `${n}_cols`);
        const cols2 = this.op('Reshape', [cols, this.ints([-1, k[0] * k[1] * C])], {}, `${n}_cols2`);
        const dy2 = this.op('Reshape', [dyh, this.ints([-1, O])], {}, `${n}_dy2`);
        const dw = this.op('Gemm', [cols2, dy2], { transA: attr.int(1) }, `${n}_dw2`);
        return this.op('Reshape', [dw, this.ints([k[0], k[1], C, O])], {}, `${n}_dw`);
      });
    });
  }

  private dense(layer: tf.layers.Layer, cfg: Record<string, unknown>, x: Val): Val {
    const n = layer.name;
    const kern = this.weight(layer, 'kernel')!;
    const bias = cfg.useBias !== false ? this.weight(layer, 'bias') : undefined;
    const y = this.op('Gemm', [x.name, kern.input, ...(bias ? [bias.input] : [])], {}, n);
    const out: Val = { name: y, shape: [Number(cfg.units)], grad: x.grad || kern.trainable || !!bias?.trainable };
    return this.record(out, (dy) => {
      if (x.grad) this.addGrad(x, this.op('Gemm', [dy, kern.input], { transB: attr.int(1) }, `${n}_dx`));
      this.paramGrad(kern, () => this.op('Gemm', [x.name, dy], { transA: attr.int(1) }, `${n}_dw`));
      this.paramGrad(bias, () => this.sum(dy, [0], false, `${n}_db`));
    });
  }

  private batchNorm(layer: tf.layers.Layer, cfg: Record<string, unknown>, x: Val): Val {
    const n = layer.name;
    const rank = x.shape.length + 1;
    const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
    const axis = Number(axes[0]);
    if (axes.length !== 1 || (rank !== 4 && rank !== 2) || !(axis === -1 || axis === rank - 1)) {
      throw new UnsupportedModelError(`layer ${n} (BatchNormalization): axis ${JSON.stringify(cfg.axis)} on a rank-${rank} input`);
    }
    const C = x.shape.at(-1)!;
    const eps = Number(cfg.epsilon ?? 1e-3);
    const momentum = Number(cfg.momentum ?? 0.99);
    const gamma = cfg.scale !== false ? this.weight(layer, 'gamma') : undefined;
    const beta = cfg.center !== false ? this.weight(layer, 'beta') : undefined;
    const mm = this.weight(layer, 'moving_mean')!;
    const mv = this.weight(layer, 'moving_variance')!;
    const red = rank === 4 ? [0, 2, 3] : [0];
    const bcast = (v: string, base: string) => (rank === 4 ? this.op('Reshape', [v, this.ints([1, C, 1, 1])], {}, base) : v);
    const gammaB = gamma ? bcast(gamma.input, `${n}_gamma`) : undefined;
    const batchStats = this.mode === 'train' && this.opts.bnTraining(n);

    let xhat: string;
    let invstd: string;
    if (batchStats) {
      // tf.moments: mean and biased variance over the batch (and space), differentiated through.
      const mean = this.mean(x.name, red, true, `${n}_mean`);
      const xc = this.op('Sub', [x.name, mean], {}, `${n}_xc`);
      const variance = this.mean(this.op('Mul', [xc, xc], {}, `${n}_sq`), red, true, `${n}_var`);
      invstd = this.op('Reciprocal', [this.op('Sqrt', [this.op('Add', [variance, this.scalar(eps)], {}, `${n}_vareps`)], {}, `${n}_std`)], {}, `${n}_invstd`);
      xhat = this.op('Mul', [xc, invstd], {}, `${n}_xhat`);
      // Keras' moving averages: m ← m − (m − batch)·(1 − momentum).
      for (const [p, batch] of [[mm, mean], [mv, variance]] as const) {
        const flat = this.op('Reshape', [batch, this.ints([C])], {}, `${n}_batch`);
        const delta = this.op('Mul', [this.op('Sub', [p.input, flat], {}, `${n}_diff`), this.scalar(1 - momentum)], {}, `${n}_delta`);
        const out = this.g.reserve(stateOutput(p.index));
        this.g.op('Sub', [p.input, delta], {}, out, out);
        this.stateOrder.push(p.index);
        this.outputs.push({ name: out, elemType: DataType.FLOAT, shape: [C] });
      }
    } else {
      invstd = bcast(this.op('Reciprocal', [this.op('Sqrt', [this.op('Add', [mv.input, this.scalar(eps)], {}, `${n}_vareps`)], {}, `${n}_std`)], {}, `${n}_invstd`), `${n}_invstd_b`);
      xhat = this.op('Mul', [this.op('Sub', [x.name, bcast(mm.input, `${n}_mm`)], {}, `${n}_xc`), invstd], {}, `${n}_xhat`);
    }
    let y = gammaB ? this.op('Mul', [xhat, gammaB], {}, `${n}_scaled`) : xhat;
    if (beta) y = this.op('Add', [y, bcast(beta.input, `${n}_beta`)], {}, n);
    const out: Val = { name: y, shape: x.shape, grad: x.grad || !!gamma?.trainable || !!beta?.trainable };
    return this.record(out, (dy) => {
      this.paramGrad(beta, () => this.sum(dy, red, false, `${n}_dbeta`));
      this.paramGrad(gamma, () => this.sum(this.op('Mul', [dy, xhat], {}, `${n}_dyxhat`), red, false, `${n}_dgamma`));
      if (!x.grad) return;
      const g = gammaB ? this.op('Mul', [dy, gammaB], {}, `${n}_g`) : dy;
      if (!batchStats) {
        this.addGrad(x, this.op('Mul', [g, invstd], {}, `${n}_dx`));
        return;
      }
      // dx = invstd · (g − mean(g) − x̂ · mean(g · x̂)), means over the normalised axes.
      const mg = this.mean(g, red, true, `${n}_mg`);
      const mgx = this.mean(this.op('Mul', [g, xhat], {}, `${n}_gx`), red, true, `${n}_mgx`);
      const inner = this.op('Sub', [this.op('Sub', [g, mg], {}, `${n}_g0`), this.op('Mul', [xhat, mgx], {}, `${n}_xm`)], {}, `${n}_inner`);
      this.addGrad(x, this.op('Mul', [inner, invstd], {}, `${n}_dx`));
    });
  }

  private activation(x: Val, name: string, base: string): Val {
    const g = this.g;
    const rank4 = x.shape.length === 3;
    switch (name) {
      case 'linear':
        return x;
      case 'relu': {
        const y = this.op('Relu', [x.name], {}, base);
        // tfjs: dy · step(x), 0 at 0 — x > 0 exactly when y > 0.
        return this.record({ ...x, name: y }, (dy) => this.addGrad(x, this.op('Mul', [dy, this.op('Cast', [this.op('Greater', [y, this.scalar(0)])], { to: attr.int(DataType.FLOAT) }, `${base}_mask`)], {}, `${base}_dx`)));
      }
      case 'relu6': {
        const y = this.op('Clip', [x.name, this.scalar(0), this.scalar(6)], {}, base);
        // tfjs: dy · (x > 0) · (x ≤ 6).
        return this.record({ ...x, name: y }, (dy) => {
          const inside = this.op('And', [this.op('Greater', [x.name, this.scalar(0)]), this.op('LessOrEqual', [x.name, this.scalar(6)])], {}, `${base}_in`);
          this.addGrad(x, this.op('Mul', [dy, this.op('Cast', [inside], { to: attr.int(DataType.FLOAT) }, `${base}_mask`)], {}, `${base}_dx`));
        });
      }
      case 'sigmoid': {
        const y = this.op('Sigmoid', [x.name], {}, base);
        return this.record({ ...x, name: y }, (dy) => this.addGrad(x, this.op('Mul', [dy, this.op('Mul', [y, this.op('Sub', [this.scalar(1), y])])], {}, `${base}_dx`)));
      }
      case 'tanh': {
        const y = this.op('Tanh', [x.name], {}, base);
        return this.record({ ...x, name: y }, (dy) => this.addGrad(x, this.op('Mul', [dy, this.op('Sub', [this.scalar(1), this.op('Mul', [y, y])])], {}, `${base}_dx`)));
      }
      case 'softmax': {
        if (rank4) throw new UnsupportedModelError(`softmax on a feature map (${base})`);
        const y = g.op('Softmax', [x.name], { axis: attr.int(-1) }, base);
        // dz = y · (dy − Σ dy·y)
        return this.record({ ...x, name: y }, (dy) => {
          const dot = this.sum(this.op('Mul', [dy, y]), [1], true, `${base}_dot`);
          this.addGrad(x, this.op('Mul', [y, this.op('Sub', [dy, dot])], {}, `${base}_dx`));
        });
      }
      default:
        throw new UnsupportedModelError(`activation '${name}' (in ${base}) has no training rule on onnxruntime`);
    }
  }

  private maxPool(layer: tf.layers.Layer, cfg: Record<string, unknown>, x: Val, outShape: number[]): Val {
    const n = layer.name;
    const k = pair(cfg.poolSize, `size in layer ${n}`);
    const s = cfg.strides == null ? k : pair(cfg.strides, `size in layer ${n}`);
    const pads = this.pads(layer, String(cfg.padding), x.shape, k, s);
    const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(s), pads: attr.ints(pads) };
    const y = this.g.fresh(n);
    const indices = this.g.fresh(`${n}_indices`);
    this.g.nodes.push({ opType: 'MaxPool', inputs: [x.name], outputs: [y, indices], name: `MaxPool:${y}`, attributes: attrs });
    // The gradient goes to each window's maximum, summed where overlapping windows share one
    // (MaxUnpool would overwrite instead). Ties only occur among ReLU zeros, whose gradient is 0 anyway.
    return this.record({ name: y, shape: outShape, grad: x.grad }, (dy) => {
      const shape = this.op('Shape', [x.name], {}, `${n}_shape`);
      // ConstantOfShape without a value gives float32 zeros.
      const zeros = this.op('Reshape', [this.op('ConstantOfShape', [shape], {}, `${n}_zeros`), this.ints([-1])], {}, `${n}_zeros1d`);
      const flat = (v: string, base: string) => this.op('Reshape', [v, this.ints([-1])], {}, base);
      const scattered = this.op('ScatterElements', [zeros, flat(indices, `${n}_idx1d`), flat(dy, `${n}_dy1d`)], { axis: attr.int(0), reduction: attr.string('add') }, `${n}_scatter`);
      this.addGrad(x, this.op('Reshape', [scattered, shape], {}, `${n}_dx`));
    });
  }

  private globalAvgPool(x: Val, n: string): Val {
    if (x.shape.length !== 3) throw new UnsupportedModelError(`layer ${n}: global pooling of a rank-${x.shape.length + 1} input`);
    const [H, W, C] = x.shape as [number, number, number];
    const y = this.op('Flatten', [this.op('GlobalAveragePool', [x.name], {}, `${n}_pool`)], { axis: attr.int(1) }, n);
    return this.record({ name: y, shape: [C], grad: x.grad }, (dy) => {
      const spread = this.op('Expand', [this.op('Unsqueeze', [dy, this.ints([2, 3])], {}, `${n}_dy4`), this.op('Shape', [x.name], {}, `${n}_shape`)], {}, `${n}_spread`);
      this.addGrad(x, this.op('Mul', [spread, this.scalar(1 / (H * W))], {}, `${n}_dx`));
    });
  }

  private flatten(x: Val, n: string): Val {
    if (x.shape.length === 1) return x;
    if (x.shape.length !== 3) throw new UnsupportedModelError(`layer ${n}: Flatten of a rank-${x.shape.length + 1} input`);
    const [H, W, C] = x.shape as [number, number, number];
    // Keras flattens NHWC.
    const y = this.op('Flatten', [this.nhwc(x.name, `${n}_nhwc`)], { axis: attr.int(1) }, n);
    return this.record({ name: y, shape: [H * W * C], grad: x.grad }, (dy) =>
      this.addGrad(x, this.g.transpose(this.op('Reshape', [dy, this.ints([-1, H, W, C])], {}, `${n}_dy4`), [0, 3, 1, 2], `${n}_dx`)),
    );
  }

  private dropoutLayer(x: Val, rate: number, n: string): Val {
    if (this.mode === 'predict' || rate === 0) return x;
    const input = this.g.fresh(`mask_${this.dropout.length}`);
    // Masks hold 0 or 1/(1 − rate) (tf.dropout's scaling); NCHW for feature maps.
    const shape = x.shape.length === 3 ? [x.shape[2]!, x.shape[0]!, x.shape[1]!] : x.shape.slice();
    this.dropout.push({ input, shape, rate });
    const y = this.op('Mul', [x.name, input], {}, n);
    return this.record({ ...x, name: y }, (dy) => this.addGrad(x, this.op('Mul', [dy, input], {}, `${n}_dx`)));
  }

  private zeroPad(cfg: Record<string, unknown>, x: Val, outShape: number[], n: string): Val {
    const p = cfg.padding as unknown;
    const [[t, b], [l, r]] = Array.isArray(p) && Array.isArray(p[0]) ? [pair(p[0], `size in layer ${n}`), pair(p[1], `size in layer ${n}`)] : [pair(p, `size in layer ${n}`), pair(p, `size in layer ${n}`)];
    const [H, W] = x.shape as [number, number];
    const y = this.op('Pad', [x.name, this.ints([0, 0, t, l, 0, 0, b, r])], { mode: attr.string('constant') }, n);
    return this.record({ name: y, shape: outShape, grad: x.grad }, (dy) =>
      this.addGrad(x, this.op('Slice', [dy, this.ints([t, l]), this.ints([t + H, l + W]), this.ints([2, 3])], {}, `${n}_dx`)),
    );
  }

  private add(ins: Val[], n: string): Val {
    if (ins.some((v) => v.shape.join() !== ins[0]!.shape.join())) throw new UnsupportedModelError(`layer ${n} (Add) with broadcasting`);
    const y = ins.length === 2 ? this.op('Add', ins.map((v) => v.name), {}, n) : this.op('Sum', ins.map((v) => v.name), {}, n);
    return this.record({ name: y, shape: ins[0]!.shape, grad: ins.some((v) => v.grad) }, (dy) => ins.forEach((v) => this.addGrad(v, dy)));
  }

  // ---------------------------------------------------------------- loss and the reverse pass

  private loss(probs: Val, K: number): void {
    const g = this.g;
    const { onehot, sampleWeight } = TRAIN_INPUTS;
    const lo = this.scalar(PROB_EPSILON);
    const hi = this.scalar(1 - PROB_EPSILON);
    const clipped = this.op('Clip', [probs.name, lo, hi], {}, 'clipped');
    const ce = this.op('Neg', [this.sum(this.op('Mul', [onehot, this.op('Log', [clipped])]), [1], false, 'ce_sum')], {}, 'ce');
    g.op('ReduceSum', [this.op('Mul', [ce, sampleWeight], {}, 'weighted'), this.ints([0])], { keepdims: attr.int(0) }, 'loss', TRAIN_OUTPUTS.loss);
    g.op('Identity', [probs.name], {}, 'probs', TRAIN_OUTPUTS.probs);
    this.outputs.push({ name: TRAIN_OUTPUTS.loss, elemType: DataType.FLOAT, shape: [] }, { name: TRAIN_OUTPUTS.probs, elemType: DataType.FLOAT, shape: ['batch', K] });
    // d loss / d p = −w·y / clip(p), zero where the clip is active (tf.clipByValue's gradient).
    const wy = this.op('Mul', [onehot, this.op('Unsqueeze', [sampleWeight, this.ints([1])], {}, 'w2')], {}, 'wy');
    const inside = this.op('And', [this.op('GreaterOrEqual', [probs.name, lo]), this.op('LessOrEqual', [probs.name, hi])], {}, 'unclipped');
    const dp = this.op('Mul', [this.op('Neg', [this.op('Div', [wy, clipped])]), this.op('Cast', [inside], { to: attr.int(DataType.FLOAT) })], {}, 'dprobs');
    this.addGrad(probs, dp);
  }

  private backward(): void {
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const { out, backward } = this.tape[i]!;
      const parts = this.grads.get(out.name);
      if (!parts) continue;
      backward(parts.length === 1 ? parts[0]! : this.op('Sum', parts, {}, `${out.name}_grad`));
    }
    for (const p of this.params) {
      const parts = this.paramGrads.get(p.index);
      if (!parts) continue;
      const name = this.opts.optimizer ? this.g.fresh(`grad_p${p.index}`) : this.g.reserve(gradOutput(p.index));
      const grad = parts.length === 1 ? this.g.op('Identity', parts, {}, name, name) : this.g.op('Sum', parts, {}, name, name);
      if (this.opts.optimizer) this.update(p, grad, this.opts.optimizer);
      else {
        this.gradientOrder.push(p.index);
        this.outputs.push({ name, elemType: DataType.FLOAT, shape: p.shape });
      }
    }
  }

  /**
   * The optimiser's update of one weight, as tf.train computes it, written with as few elementwise
   * passes as that allows (they are memory-bound: for a small head they are most of a step), the
   * last op of each chain writing its graph output directly.
   */
  private update(p: ParamInfo, grad: string, spec: OptimizerSpec): void {
    const w = paramInput(p.index);
    const c = (v: number) => this.scalar(v);
    const out = this.g.reserve(stateOutput(p.index));
    this.stateOrder.push(p.index);
    this.outputs.push({ name: out, elemType: DataType.FLOAT, shape: p.shape });
    const slot = (kind: string): { input: string; output: string } => {
      const input = this.g.reserve(`slot_p${p.index}_${kind}`);
      const output = this.g.reserve(`new_slot_p${p.index}_${kind}`);
      this.slots.push({ input, output, shape: p.shape });
      this.extraInputs.push({ name: input, elemType: DataType.FLOAT, shape: p.shape });
      this.outputs.push({ name: output, elemType: DataType.FLOAT, shape: p.shape });
      return { input, output };
    };
    const write = (type: string, inputs: string[], output: string) => this.g.op(type, inputs, {}, output, output);
    // w − lr·d (the multiplication skipped when lr is 1: exact either way).
    const descend = (d: string) => write('Sub', [w, spec.learningRate === 1 ? d : this.op('Mul', [d, c(spec.learningRate)])], out);
    switch (spec.kind) {
      case 'sgd': {
        if (spec.momentum === 0) return void descend(grad);
        const a = slot('momentum');
        descend(write('Add', [this.op('Mul', [a.input, c(spec.momentum)]), grad], a.output));
        return;
      }
      case 'adam': {
        if (!this.extraInputs.some((i) => i.name === ADAM_INPUTS.c1)) {
          for (const name of [ADAM_INPUTS.c1, ADAM_INPUTS.c2]) this.extraInputs.push({ name: this.g.reserve(name), elemType: DataType.FLOAT, shape: [] });
        }
        const m = slot('m');
        const v = slot('v');
        const m1 = write('Add', [this.op('Mul', [m.input, c(spec.beta1)]), this.op('Mul', [grad, c(1 - spec.beta1)])], m.output);
        const v1 = write('Add', [this.op('Mul', [v.input, c(spec.beta2)]), this.op('Mul', [this.op('Mul', [grad, grad]), c(1 - spec.beta2)])], v.output);
        const denom = this.op('Add', [this.op('Sqrt', [this.op('Div', [v1, ADAM_INPUTS.c2])]), c(spec.epsilon)]);
        write('Add', [this.op('Mul', [this.op('Div', [this.op('Div', [m1, ADAM_INPUTS.c1]), denom]), c(-spec.learningRate)]), w], out);
        return;
      }
      case 'adadelta': {
        const a = slot('accum_grad');
        const u = slot('accum_update');
        const acc = write('Add', [this.op('Mul', [a.input, c(spec.rho)]), this.op('Mul', [this.op('Mul', [grad, grad]), c(1 - spec.rho)])], a.output);
        // √(u + ε) / √(acc + ε) as one square root of the quotient: one pass fewer.
        const ratio = this.op('Sqrt', [this.op('Div', [this.op('Add', [u.input, c(spec.epsilon)]), this.op('Add', [acc, c(spec.epsilon)])])]);
        const step = this.op('Mul', [ratio, grad]);
        write('Add', [this.op('Mul', [u.input, c(spec.rho)]), this.op('Mul', [this.op('Mul', [step, step]), c(1 - spec.rho)])], u.output);
        descend(step);
        return;
      }
    }
  }
}
