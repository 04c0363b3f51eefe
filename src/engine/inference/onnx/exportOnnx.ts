import * as tf from '@tensorflow/tfjs';
import { endianness } from 'node:os';
import { CAFFE_BGR_MEANS, type PreprocessKind } from '../../backbones/preprocess.js';
import { GraphBuilder } from './graph.js';
import { attr, DataType, encodeModel } from './onnxProto.js';

/**
 * Translates a TensorFlow.js Layers model (the FTTL backbones and Keras-style CNNs in general) into
 * an ONNX graph, in TypeScript, from the model's own weights — no tf2onnx.
 *
 * The ONNX graph takes what a ForwardRunner takes — RGB pixels 0..255, NHWC, float32, shape
 * [batch, size, size, 3] — applies the backbone's preprocessing itself, computes in NCHW (ONNX's
 * convolution layout) and returns [batch, outputSize] with every row in Keras' NHWC order, so its
 * vectors equal the tfjs model's element for element (a flattened VGG-16 block5_pool included).
 *
 * Layers translated: InputLayer, Conv2D, DepthwiseConv2D, SeparableConv2D, Dense, BatchNormalization
 * (inference), Activation / ReLU / ReLU6 / LeakyReLU / ELU / Softmax, ZeroPadding2D (folded into the
 * next convolution's pads), MaxPooling2D, AveragePooling2D, GlobalAverage/MaxPooling2D, Flatten,
 * Reshape, Dropout-likes (identity), Add / Subtract / Multiply / Average / Maximum / Minimum,
 * Concatenate, Rescaling, and nested models. TF's SAME padding (extra row/column at the bottom/right)
 * is written as explicit asymmetric pads. Anything else throws UnsupportedModelError naming the layer.
 */
export class UnsupportedModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedModelError';
  }
}

export interface OnnxExportOptions {
  preprocess: PreprocessKind;
  /** Graph name and doc string. */
  name?: string;
  /** Extra ModelProto metadata_props. */
  metadata?: Record<string, string>;
}

export interface OnnxExport {
  /** The .onnx file's bytes, in order (weights are referenced, not copied). */
  chunks: Uint8Array[];
  byteLength: number;
  inputSize: number;
  outputSize: number;
  /** ONNX operators used, with counts (for logs and tests). */
  ops: Record<string, number>;
}

/** ONNX opset the graphs target: 13 (Clip/Pad/Reshape take their parameters as inputs; Softmax is per axis). */
export const OPSET = 13;
/** IR version 7 goes with opset 13. */
const IR_VERSION = 7;
export const INPUT_NAME = 'pixels';
export const OUTPUT_NAME = 'features';

type Shape = (number | null)[];
type Pads4 = [top: number, bottom: number, left: number, right: number];

/** A value during translation: its Keras shape (NHWC for rank 4), and where its data is. */
interface Val {
  shape: Shape;
  /** The ONNX value name (rank-4 values are stored NCHW). Absent while the value is a pending zero-pad. */
  name?: string;
  /** A ZeroPadding2D not yet written: the next Conv adds the pads to its own instead. */
  pad?: { of: Val; pads: Pads4 };
}

interface KerasNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

interface Scope {
  id: number;
  inputs: Map<number, Val>;
}

/** Exports `model` (one input of shape [null, s, s, 3], one output) as an ONNX feature extractor. */
export function exportOnnx(model: tf.LayersModel, opts: OnnxExportOptions): OnnxExport {
  if (endianness() !== 'LE') throw new UnsupportedModelError('ONNX export needs a little-endian machine');
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new UnsupportedModelError(`ONNX export handles models with one input and one output; ${model.name} has ${model.inputs.length} and ${model.outputs.length}`);
  }
  const inShape = model.inputs[0]!.shape;
  const size = inShape[1];
  if (inShape.length !== 4 || typeof size !== 'number' || inShape[2] !== size || inShape[3] !== 3) {
    throw new UnsupportedModelError(`ONNX export needs a square RGB image input; ${model.name} takes [${inShape.join(', ')}]`);
  }
  const ex = new Exporter();
  const g = ex.g;
  const input = g.reserve(INPUT_NAME);
  const pre = ex.preprocessing(input, opts.preprocess);
  const scope: Scope = { id: ex.nextScope++, inputs: new Map([[model.inputs[0]!.id, { shape: [null, size, size, 3], name: pre }]]) };
  const out = ex.valueOf(model.outputs[0]!, scope);
  const outName = ex.ref(out);
  const rank = out.shape.length;
  let vec = rank === 4 ? g.transpose(outName, [0, 2, 3, 1], 'to_nhwc') : outName;
  if (rank > 2) vec = g.op('Flatten', [vec], { axis: attr.int(1) }, 'flatten');
  g.op('Identity', [vec], {}, 'out', g.reserve(OUTPUT_NAME));
  const outputSize = out.shape.slice(1).reduce<number>((a, d) => {
    if (d === null) throw new UnsupportedModelError(`the output of ${model.name} has an unknown dimension`);
    return a * d;
  }, 1);

  const ops: Record<string, number> = {};
  for (const n of g.nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
  const name = opts.name ?? model.name;
  const chunks = encodeModel({
    irVersion: IR_VERSION,
    opsetVersion: OPSET,
    producerName: 'fttl',
    producerVersion: '1',
    docString: `${name}: RGB 0..255 NHWC input, '${opts.preprocess}' preprocessing in the graph, ${outputSize}-d output in Keras (NHWC) order`,
    metadata: { preprocess: opts.preprocess, inputSize: String(size), ...opts.metadata },
    graph: {
      name,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: input, elemType: DataType.FLOAT, shape: ['batch', size, size, 3] }],
      outputs: [{ name: OUTPUT_NAME, elemType: DataType.FLOAT, shape: ['batch', outputSize] }],
    },
  });
  return { chunks, byteLength: chunks.reduce((n, c) => n + c.byteLength, 0), inputSize: size, outputSize, ops };
}

/** Keras' SAME padding along one axis (TF's rule: the odd pixel goes after). */
export function samePads(inSize: number, kernel: number, stride: number, dilation = 1): [before: number, after: number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** A Keras size given as one number or a pair. */
export function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  throw new UnsupportedModelError(`unexpected ${what}: ${JSON.stringify(v)}`);
}

/** NHWC axis → NCHW axis for rank-4 values; other ranks keep Keras' layout. */
function onnxAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new UnsupportedModelError(`axis ${axis} out of range for rank ${rank}`);
  return rank === 4 ? [0, 2, 3, 1][a]! : a;
}

/** A layer's weights by their Keras short names (kernel, bias, gamma, moving_mean, …). */
function weightsOf(layer: tf.layers.Layer): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const w of layer.weights) {
    const short = (w.originalName ?? w.name).split('/').pop()!.replace(/:\d+$/, '').replace(/_\d+$/, '');
    const t = w.read();
    if (t.dtype !== 'float32') throw new UnsupportedModelError(`layer ${layer.name}: ${t.dtype} weights`);
    out.set(short, { shape: t.shape.slice(), data: Float32Array.from(t.dataSync() as Float32Array) });
  }
  return out;
}

function need<T>(m: Map<string, T>, key: string, layer: tf.layers.Layer): T {
  const v = m.get(key);
  if (!v) throw new UnsupportedModelError(`layer ${layer.name} (${layer.getClassName()}) has no "${key}" weight (has ${[...m.keys()].join(', ')})`);
  return v;
}

/** [kh, kw, in, out] (TF) → [out, in, kh, kw] (ONNX). */
function convKernel(shape: number[], data: Float32Array): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  const outData = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) outData[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o]!;
  return { dims: [cout, cin, kh, kw], data: outData };
}

/** Depthwise [kh, kw, in, mult] (TF, output channel c·mult + m) → grouped [in·mult, 1, kh, kw] (ONNX). */
function depthwiseKernel(shape: number[], data: Float32Array): { dims: number[]; data: Float32Array } {
  const [kh, kw, cin, mult] = shape as [number, number, number, number];
  const outData = new Float32Array(data.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let c = 0; c < cin; c++)
        for (let m = 0; m < mult; m++) outData[((c * mult + m) * kh + y) * kw + x] = data[((y * kw + x) * cin + c) * mult + m]!;
  return { dims: [cin * mult, 1, kh, kw], data: outData };
}

class Exporter {
  readonly g = new GraphBuilder();
  nextScope = 0;
  private readonly memo = new Map<string, Val[]>();

  /** Input NHWC RGB 0..255 → NCHW, scaled as the backbone was trained. */
  preprocessing(input: string, kind: PreprocessKind): string {
    const g = this.g;
    const x = g.transpose(input, [0, 3, 1, 2], 'input_nchw');
    switch (kind) {
      case 'tf':
        // x / 127.5 − 1, in that order (as the tfjs preprocessing computes it).
        return g.op('Sub', [g.op('Div', [x, g.floatConst('c127_5', [], Float32Array.of(127.5))]), g.floatConst('c1', [], Float32Array.of(1))], {}, 'preprocessed');
      case 'unit':
        return g.op('Div', [x, g.floatConst('c255', [], Float32Array.of(255))], {}, 'preprocessed');
      case 'caffe': {
        const bgr = g.op('Gather', [x, g.intConst('bgr', [2, 1, 0])], { axis: attr.int(1) }, 'bgr');
        return g.op('Sub', [bgr, g.floatConst('caffe_means', [1, 3, 1, 1], Float32Array.from(CAFFE_BGR_MEANS))], {}, 'preprocessed');
      }
      default: {
        const never: never = kind;
        throw new UnsupportedModelError(`unknown preprocessing ${String(never)}`);
      }
    }
  }

  /** The ONNX name of a value, writing a pending zero-pad as a Pad node if it is still pending. */
  ref(v: Val): string {
    if (v.name !== undefined) return v.name;
    const { of, pads } = v.pad!;
    const [t, b, l, r] = pads;
    v.name = this.g.op('Pad', [this.ref(of), this.g.intConst('pads', [0, 0, t, l, 0, 0, b, r])], { mode: attr.string('constant') }, 'pad');
    return v.name;
  }

  valueOf(st: tf.SymbolicTensor, scope: Scope): Val {
    const given = scope.inputs.get(st.id);
    if (given) return given;
    const layer = st.sourceLayer as tf.layers.Layer;
    const key = `${scope.id}:${layer.id}:${st.nodeIndex}`;
    let outs = this.memo.get(key);
    if (!outs) {
      if (layer.getClassName() === 'InputLayer') throw new UnsupportedModelError(`input ${layer.name} is not the model's input (several inputs?)`);
      const node = (layer as unknown as { inboundNodes: KerasNode[] }).inboundNodes[st.nodeIndex];
      if (!node) throw new UnsupportedModelError(`layer ${layer.name}: no node ${st.nodeIndex}`);
      const inputs = node.inputTensors.map((t) => this.valueOf(t, scope));
      outs = this.layer(layer, inputs, node.outputTensors.map((t) => t.shape));
      this.memo.set(key, outs);
    }
    const v = outs[st.tensorIndex];
    if (!v) throw new UnsupportedModelError(`layer ${layer.name}: no output ${st.tensorIndex}`);
    return v;
  }

  private layer(layer: tf.layers.Layer, inputs: Val[], outShapes: Shape[]): Val[] {
    const cls = layer.getClassName();
    if (layer instanceof tf.LayersModel) {
      const inner: Scope = { id: this.nextScope++, inputs: new Map(layer.inputs.map((t, i) => [t.id, inputs[i]!])) };
      return layer.outputs.map((t) => this.valueOf(t, inner));
    }
    const cfg = layer.getConfig() as Record<string, unknown>;
    if (cfg.dataFormat !== undefined && cfg.dataFormat !== 'channelsLast') {
      throw new UnsupportedModelError(`layer ${layer.name} (${cls}): dataFormat ${String(cfg.dataFormat)} (only channelsLast)`);
    }
    const x = inputs[0]!;
    const outShape = outShapes[0]!;
    const one = (name: string): Val[] => [{ shape: outShape, name }];
    const g = this.g;
    const n = layer.name;
    switch (cls) {
      case 'Conv2D':
      case 'DepthwiseConv2D':
      case 'SeparableConv2D':
        return one(this.activation(this.conv(layer, cls, cfg, x), String(cfg.activation ?? 'linear'), 4, n));
      case 'Dense':
        return one(this.activation(this.dense(layer, cfg, x), String(cfg.activation ?? 'linear'), outShape.length, n));
      case 'BatchNormalization':
        return one(this.batchNorm(layer, cfg, x));
      case 'Activation':
        return one(this.activation(this.ref(x), String(cfg.activation), x.shape.length, n));
      case 'ReLU': {
        if (cfg.maxValue != null) return one(this.clip(this.ref(x), 0, Number(cfg.maxValue), n));
        return one(g.op('Relu', [this.ref(x)], {}, n));
      }
      case 'LeakyReLU':
        return one(g.op('LeakyRelu', [this.ref(x)], { alpha: attr.float(Number(cfg.alpha ?? 0.3)) }, n));
      case 'ELU':
        return one(g.op('Elu', [this.ref(x)], { alpha: attr.float(Number(cfg.alpha ?? 1)) }, n));
      case 'Softmax': {
        const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
        if (axis.length !== 1) throw new UnsupportedModelError(`layer ${n} (Softmax) over several axes`);
        return one(g.op('Softmax', [this.ref(x)], { axis: attr.int(onnxAxis(Number(axis[0]), x.shape.length)) }, n));
      }
      case 'ZeroPadding2D': {
        const p = cfg.padding as unknown;
        const [[t, b], [l, r]] = Array.isArray(p) && Array.isArray(p[0]) ? [pair(p[0], 'padding'), pair(p[1], 'padding')] : [pair(p, 'padding'), pair(p, 'padding')];
        if (x.pad) return [{ shape: outShape, pad: { of: x.pad.of, pads: [x.pad.pads[0] + t, x.pad.pads[1] + b, x.pad.pads[2] + l, x.pad.pads[3] + r] } }];
        return [{ shape: outShape, pad: { of: x, pads: [t, b, l, r] } }];
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const k = pair(cfg.poolSize, 'poolSize');
        const s = cfg.strides == null ? k : pair(cfg.strides, 'strides');
        const pads = this.pads(layer, String(cfg.padding), x.shape, k, s, [1, 1]);
        const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(s), ...(pads.some((p) => p !== 0) ? { pads: attr.ints(pads) } : {}) };
        if (cls === 'AveragePooling2D') return one(g.op('AveragePool', [this.ref(x)], attrs, n));
        // A zero-pad before max pooling stays a Pad node (pooling pads with −∞, not 0). onnxruntime's
        // PadFusion (ORT PR #18136, still in 1.31) folds it into the MaxPool's pads anyway, which
        // changes results wherever a window is all negative. It leaves a MaxPool with the optional
        // Indices output alone, so such a MaxPool asks for it.
        const input = this.ref(x);
        if (x.pad) {
          const out = g.fresh(n);
          g.nodes.push({ opType: 'MaxPool', inputs: [input], outputs: [out, g.fresh(`${n}_indices`)], name: `MaxPool:${out}`, attributes: attrs });
          return one(out);
        }
        return one(g.op('MaxPool', [input], attrs, n));
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (cfg.keepDims === true) throw new UnsupportedModelError(`layer ${n} (${cls}) with keepDims`);
        const pooled = g.op(cls === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [this.ref(x)], {}, `${n}_pool`);
        return one(g.op('Flatten', [pooled], { axis: attr.int(1) }, n));
      }
      case 'Flatten': {
        if (x.shape.length === 2) return [{ ...x }];
        const nhwc = x.shape.length === 4 ? g.transpose(this.ref(x), [0, 2, 3, 1], `${n}_nhwc`) : this.ref(x);
        return one(g.op('Flatten', [nhwc], { axis: attr.int(1) }, n));
      }
      case 'Reshape': {
        const target = (cfg.targetShape as number[]).map(Number);
        const src = x.shape.length === 4 ? g.transpose(this.ref(x), [0, 2, 3, 1], `${n}_nhwc`) : this.ref(x);
        const reshaped = g.op('Reshape', [src, g.intConst('shape', [0, ...target])], {}, outShape.length === 4 ? `${n}_nhwc` : n);
        return one(outShape.length === 4 ? g.transpose(reshaped, [0, 3, 1, 2], n) : reshaped);
      }
      case 'Dropout':
      case 'SpatialDropout1D':
      case 'SpatialDropout2D':
      case 'GaussianNoise':
      case 'GaussianDropout':
      case 'AlphaDropout':
      case 'ActivityRegularization':
        return [{ ...x }]; // identity at inference
      case 'Rescaling': {
        const scale = Number(cfg.scale);
        const offset = Number(cfg.offset ?? 0);
        if (!Number.isFinite(scale) || !Number.isFinite(offset)) throw new UnsupportedModelError(`layer ${n} (Rescaling) with per-channel parameters`);
        const scaled = g.op('Mul', [this.ref(x), g.floatConst(`${n}_scale`, [], Float32Array.of(scale))], {}, `${n}_mul`);
        return one(g.op('Add', [scaled, g.floatConst(`${n}_offset`, [], Float32Array.of(offset))], {}, n));
      }
      case 'Add':
      case 'Subtract':
      case 'Multiply':
      case 'Average':
      case 'Maximum':
      case 'Minimum': {
        const rank = x.shape.length;
        if (inputs.some((v) => v.shape.length !== rank)) throw new UnsupportedModelError(`layer ${n} (${cls}) mixes ranks`);
        const names = inputs.map((v) => this.ref(v));
        if (cls === 'Subtract') return one(g.op('Sub', names, {}, n));
        const op = { Add: 'Sum', Multiply: 'Mul', Average: 'Mean', Maximum: 'Max', Minimum: 'Min' }[cls]!;
        if (op === 'Mul') return one(names.slice(1).reduce((acc, b, i) => g.op('Mul', [acc, b], {}, i === names.length - 2 ? n : `${n}_part`), names[0]!));
        return one(g.op(names.length === 2 && op === 'Sum' ? 'Add' : op, names, {}, n));
      }
      case 'Concatenate': {
        const rank = x.shape.length;
        if (inputs.some((v) => v.shape.length !== rank)) throw new UnsupportedModelError(`layer ${n} (Concatenate) mixes ranks`);
        const axis = onnxAxis(Number(cfg.axis ?? -1), rank);
        return one(g.op('Concat', inputs.map((v) => this.ref(v)), { axis: attr.int(axis) }, n));
      }
      default:
        throw new UnsupportedModelError(`layer ${n} (${cls}) has no ONNX translation`);
    }
  }

  /** Explicit ONNX pads [top, left, bottom, right] for a 'valid'/'same' window op on an NHWC shape. */
  private pads(layer: tf.layers.Layer, padding: string, shape: Shape, k: [number, number], s: [number, number], d: [number, number]): number[] {
    if (padding === 'valid') return [0, 0, 0, 0];
    if (padding !== 'same') throw new UnsupportedModelError(`layer ${layer.name}: padding '${padding}'`);
    const [h, w] = [shape[1], shape[2]];
    if (typeof h !== 'number' || typeof w !== 'number') throw new UnsupportedModelError(`layer ${layer.name}: 'same' padding needs a known input size`);
    const [t, b] = samePads(h, k[0], s[0], d[0]);
    const [l, r] = samePads(w, k[1], s[1], d[1]);
    return [t, l, b, r];
  }

  private conv(layer: tf.layers.Layer, cls: string, cfg: Record<string, unknown>, x: Val): string {
    const g = this.g;
    const n = layer.name;
    const w = weightsOf(layer);
    const k = pair(cfg.kernelSize, 'kernelSize');
    const s = pair(cfg.strides ?? 1, 'strides');
    const d = pair(cfg.dilationRate ?? 1, 'dilationRate');
    // Keras computes 'same' on the (already zero-padded) input; a pending ZeroPadding2D adds to it.
    const src = x.pad ? x.pad.of : x;
    const own = this.pads(layer, String(cfg.padding), x.shape, k, s, d);
    const extra = x.pad ? x.pad.pads : [0, 0, 0, 0];
    const pads = [own[0]! + extra[0]!, own[1]! + extra[2]!, own[2]! + extra[1]!, own[3]! + extra[3]!];
    const attrs = { kernel_shape: attr.ints(k), strides: attr.ints(s), dilations: attr.ints(d), pads: attr.ints(pads) };
    const bias = cfg.useBias !== false ? need(w, 'bias', layer) : undefined;
    const biasName = (suffix = '') => (bias ? [g.floatConst(`${n}${suffix}/bias`, [bias.data.length], bias.data)] : []);
    if (cls === 'Conv2D') {
      if (Number(cfg.groups ?? 1) !== 1) throw new UnsupportedModelError(`layer ${n} (Conv2D) with groups`);
      const kern = need(w, 'kernel', layer);
      const W = convKernel(kern.shape, kern.data);
      return g.op('Conv', [this.ref(src), g.floatConst(`${n}/kernel`, W.dims, W.data), ...biasName()], attrs, n);
    }
    const dw = need(w, 'depthwise_kernel', layer);
    const W = depthwiseKernel(dw.shape, dw.data);
    const groups = dw.shape[2]!;
    if (cls === 'DepthwiseConv2D') {
      return g.op('Conv', [this.ref(src), g.floatConst(`${n}/depthwise_kernel`, W.dims, W.data), ...biasName()], { ...attrs, group: attr.int(groups) }, n);
    }
    // SeparableConv2D: depthwise (no bias) then a 1×1 pointwise convolution with the bias.
    const depth = g.op('Conv', [this.ref(src), g.floatConst(`${n}/depthwise_kernel`, W.dims, W.data)], { ...attrs, group: attr.int(groups) }, `${n}_depthwise`);
    const pw = need(w, 'pointwise_kernel', layer);
    const P = convKernel(pw.shape, pw.data);
    return g.op('Conv', [depth, g.floatConst(`${n}/pointwise_kernel`, P.dims, P.data), ...biasName('_pw')], { kernel_shape: attr.ints([1, 1]) }, n);
  }

  private dense(layer: tf.layers.Layer, cfg: Record<string, unknown>, x: Val): string {
    const g = this.g;
    const n = layer.name;
    const w = weightsOf(layer);
    const kern = need(w, 'kernel', layer);
    const [units] = [kern.shape[1]!];
    const bias = cfg.useBias !== false ? need(w, 'bias', layer) : undefined;
    const rank = x.shape.length;
    if (rank === 4) {
      // A Dense on a feature map acts on the channel axis: a 1×1 convolution in NCHW.
      const W = convKernel([1, 1, kern.shape[0]!, units], kern.data);
      const b = bias ? [g.floatConst(`${n}/bias`, [units], bias.data)] : [];
      return g.op('Conv', [this.ref(x), g.floatConst(`${n}/kernel`, W.dims, W.data), ...b], { kernel_shape: attr.ints([1, 1]) }, n);
    }
    const K = g.floatConst(`${n}/kernel`, kern.shape, kern.data);
    if (rank === 2 && bias) return g.op('Gemm', [this.ref(x), K, g.floatConst(`${n}/bias`, [units], bias.data)], {}, n);
    const mm = g.op('MatMul', [this.ref(x), K], {}, bias ? `${n}_matmul` : n);
    return bias ? g.op('Add', [mm, g.floatConst(`${n}/bias`, [units], bias.data)], {}, n) : mm;
  }

  private batchNorm(layer: tf.layers.Layer, cfg: Record<string, unknown>, x: Val): string {
    const n = layer.name;
    const rank = x.shape.length;
    const axes = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis ?? -1];
    const axis = Number(axes[0]);
    if (axes.length !== 1 || (rank !== 4 && rank !== 2) || onnxAxis(axis, rank) !== 1) {
      throw new UnsupportedModelError(`layer ${n} (BatchNormalization): axis ${JSON.stringify(cfg.axis)} on a rank-${rank} input (only the channel axis)`);
    }
    const w = weightsOf(layer);
    const mean = need(w, 'moving_mean', layer).data;
    const variance = need(w, 'moving_variance', layer).data;
    const c = mean.length;
    const gamma = cfg.scale !== false ? need(w, 'gamma', layer).data : new Float32Array(c).fill(1);
    const beta = cfg.center !== false ? need(w, 'beta', layer).data : new Float32Array(c);
    const g = this.g;
    const inputs = [
      this.ref(x),
      g.floatConst(`${n}/gamma`, [c], gamma),
      g.floatConst(`${n}/beta`, [c], beta),
      g.floatConst(`${n}/moving_mean`, [c], mean),
      g.floatConst(`${n}/moving_variance`, [c], variance),
    ];
    return g.op('BatchNormalization', inputs, { epsilon: attr.float(Number(cfg.epsilon ?? 1e-3)) }, n);
  }

  private clip(x: string, min: number, max: number, base: string): string {
    const g = this.g;
    return g.op('Clip', [x, g.floatConst(`clip_min_${min}`, [], Float32Array.of(min)), g.floatConst(`clip_max_${max}`, [], Float32Array.of(max))], {}, base);
  }

  /** Keras activation functions by their tfjs serialised names. */
  private activation(x: string, name: string, rank: number, base: string): string {
    const g = this.g;
    switch (name) {
      case 'linear':
        return x;
      case 'relu':
        return g.op('Relu', [x], {}, base);
      case 'relu6':
        return this.clip(x, 0, 6, base);
      case 'sigmoid':
        return g.op('Sigmoid', [x], {}, base);
      case 'tanh':
        return g.op('Tanh', [x], {}, base);
      case 'elu':
        return g.op('Elu', [x], { alpha: attr.float(1) }, base);
      case 'selu':
        return g.op('Selu', [x], {}, base);
      case 'softplus':
        return g.op('Softplus', [x], {}, base);
      case 'softsign':
        return g.op('Softsign', [x], {}, base);
      case 'hardSigmoid':
        return g.op('HardSigmoid', [x], { alpha: attr.float(0.2), beta: attr.float(0.5) }, base);
      case 'swish':
        return g.op('Mul', [x, g.op('Sigmoid', [x], {}, `${base}_sigmoid`)], {}, base);
      case 'mish':
        return g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x], {}, `${base}_softplus`)], {}, `${base}_tanh`)], {}, base);
      case 'softmax':
        return g.op('Softmax', [x], { axis: attr.int(rank === 4 ? 1 : -1) }, base);
      case 'logSoftmax':
        return g.op('LogSoftmax', [x], { axis: attr.int(rank === 4 ? 1 : -1) }, base);
      default:
        throw new UnsupportedModelError(`activation '${name}' (in ${base}) has no ONNX translation`);
    }
  }
}
