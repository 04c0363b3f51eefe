import { ProtoWriter } from './protobuf.js';

/**
 * The subset of ONNX's protobuf schema FTTL writes, with the field numbers of onnx/onnx.proto
 * (proto2, package onnx; they are stable across ONNX releases):
 *
 * ModelProto:          ir_version=1 (int64), producer_name=2, producer_version=3, domain=4,
 *                      model_version=5 (int64), doc_string=6, graph=7 (GraphProto),
 *                      opset_import=8 (repeated OperatorSetIdProto), metadata_props=14 (repeated StringStringEntryProto)
 * OperatorSetIdProto:  domain=1, version=2 (int64)
 * StringStringEntryProto: key=1, value=2
 * GraphProto:          node=1 (repeated NodeProto), name=2, initializer=5 (repeated TensorProto),
 *                      doc_string=10, input=11, output=12 (repeated ValueInfoProto), value_info=13
 * NodeProto:           input=1, output=2 (repeated string), name=3, op_type=4,
 *                      attribute=5 (repeated AttributeProto), doc_string=6, domain=7
 * AttributeProto:      name=1, f=2 (float), i=3 (int64), s=4 (bytes), t=5 (TensorProto), g=6,
 *                      floats=7, ints=8, strings=9, tensors=10, graphs=11, doc_string=13, type=20
 *   AttributeType:     FLOAT=1, INT=2, STRING=3, TENSOR=4, GRAPH=5, FLOATS=6, INTS=7, STRINGS=8
 * TensorProto:         dims=1 (repeated int64), data_type=2 (int32), float_data=4, int32_data=5,
 *                      int64_data=7, name=8, raw_data=9 (bytes, little-endian), doc_string=12
 *   DataType:          FLOAT=1, UINT8=2, INT8=3, INT32=6, INT64=7, BOOL=9, FLOAT16=10, DOUBLE=11
 * ValueInfoProto:      name=1, type=2 (TypeProto), doc_string=3
 * TypeProto:           tensor_type=1 (TypeProto.Tensor), denotation=6
 * TypeProto.Tensor:    elem_type=1 (int32, a DataType), shape=2 (TensorShapeProto)
 * TensorShapeProto:    dim=1 (repeated Dimension)
 * Dimension:           dim_value=1 (int64) | dim_param=2 (string), denotation=3
 */
export const DataType = { FLOAT: 1, INT64: 7, DOUBLE: 11 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: DataTypeCode;
  /** Little-endian element bytes (a Float32Array's or BigInt64Array's bytes on every platform Node runs on). */
  raw: Uint8Array;
}

export type AttributeValue =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

export interface NodeProto {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, AttributeValue>;
}

export interface ValueInfoProto {
  name: string;
  elemType: DataTypeCode;
  /** Fixed sizes as numbers, symbolic ones (e.g. "batch") as strings. */
  shape: (number | string)[];
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  docString?: string;
}

export interface ModelProto {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Record<string, string>;
  graph: GraphProto;
}

/** Attribute value helpers, so node definitions read `{ strides: ints([2, 2]) }`. */
export const attr = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ type: 'ints', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  floats: (value: number[]): AttributeValue => ({ type: 'floats', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
};

function tensorProto(t: TensorProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  w.bytes(9, t.raw);
  return w;
}

function attributeProto(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  switch (a.type) {
    case 'int':
      w.int(3, a.value).int(20, AttributeType.INT);
      break;
    case 'ints':
      for (const v of a.value) w.int(8, v);
      w.int(20, AttributeType.INTS);
      break;
    case 'float':
      w.float(2, a.value).int(20, AttributeType.FLOAT);
      break;
    case 'floats':
      for (const v of a.value) w.float(7, v);
      w.int(20, AttributeType.FLOATS);
      break;
    case 'string':
      w.string(4, a.value).int(20, AttributeType.STRING);
      break;
  }
  return w;
}

function nodeProto(n: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const [name, value] of Object.entries(n.attributes ?? {})) w.message(5, attributeProto(name, value));
  return w;
}

function valueInfoProto(v: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, v.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function graphProto(g: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeProto(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorProto(t));
  if (g.docString) w.string(10, g.docString);
  for (const i of g.inputs) w.message(11, valueInfoProto(i));
  for (const o of g.outputs) w.message(12, valueInfoProto(o));
  return w;
}

/** Encodes a model as protobuf chunks (write them in order to get the .onnx file). */
export function encodeModel(m: ModelProto): Uint8Array[] {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, graphProto(m.graph));
  w.message(8, new ProtoWriter().string(1, '').int(2, m.opsetVersion));
  for (const [key, value] of Object.entries(m.metadata ?? {})) w.message(14, new ProtoWriter().string(1, key).string(2, value));
  return w.finish();
}

/** A float32 initializer (its bytes are shared with `data`, not copied). */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  const expected = dims.reduce((a, d) => a * d, 1);
  if (data.length !== expected) throw new RangeError(`tensor ${name}: ${data.length} values for shape [${dims.join(', ')}]`);
  return { name, dims, dataType: DataType.FLOAT, raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** An int64 initializer (shapes, pads, indices). */
export function int64Tensor(name: string, dims: number[], values: number[]): TensorProto {
  const data = BigInt64Array.from(values.map((v) => BigInt(v)));
  return { name, dims, dataType: DataType.INT64, raw: new Uint8Array(data.buffer) };
}
