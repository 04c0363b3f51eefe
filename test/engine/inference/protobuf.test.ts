import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtoWriter } from '../../../src/engine/inference/onnx/protobuf.js';
import { encodeModel, floatTensor, int64Tensor } from '../../../src/engine/inference/onnx/onnxProto.js';

const hex = (w: ProtoWriter) => Buffer.from(w.toBytes()).toString('hex');

test('varints: the protobuf encoding guide examples, 64-bit and negative values', () => {
  assert.equal(hex(new ProtoWriter().int(1, 150)), '089601'); // field 1 = 150 → 08 96 01
  assert.equal(hex(new ProtoWriter().int(2, 0)), '1000');
  assert.equal(hex(new ProtoWriter().int(1, 2 ** 35)), '088080808080' + '01');
  // −1 as int64: ten bytes of two's complement.
  assert.equal(hex(new ProtoWriter().int(3, -1)), '18' + 'ff'.repeat(9) + '01');
  assert.equal(hex(new ProtoWriter().int(20, 7)), 'a00107'); // field 20 needs a two-byte key
  assert.throws(() => new ProtoWriter().int(1, 1.5), RangeError);
});

test('floats, strings and nested messages (length-prefixed)', () => {
  assert.equal(hex(new ProtoWriter().float(2, 1)), '150000803f');
  assert.equal(hex(new ProtoWriter().string(2, 'testing')), '120774657374696e67'); // the guide's example
  const inner = new ProtoWriter().int(1, 150);
  assert.equal(hex(new ProtoWriter().message(3, inner)), '1a03089601'); // the guide's embedded message
});

test('large byte fields are referenced, not copied, and lengths stay right', () => {
  const big = new Uint8Array(10_000).fill(7);
  const w = new ProtoWriter().string(1, 'x').bytes(9, big).int(2, 1);
  const parts = w.finish();
  assert.ok(parts.includes(big), 'the big array is one of the chunks');
  assert.equal(parts.reduce((n, p) => n + p.byteLength, 0), 3 + 3 + 10_000 + 2);
  const outer = new ProtoWriter().message(5, new ProtoWriter().bytes(9, big));
  assert.equal(outer.length, 1 + 2 + 1 + 2 + 10_000);
});

test('encodeModel writes an ONNX header onnxruntime can identify (ir_version, producer, opset)', () => {
  const chunks = encodeModel({
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'fttl',
    producerVersion: '1',
    graph: {
      name: 'g',
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      initializers: [floatTensor('w', [2], Float32Array.of(1, 2)), int64Tensor('s', [2], [0, -1])],
      inputs: [{ name: 'x', elemType: 1, shape: ['batch', 2] }],
      outputs: [{ name: 'y', elemType: 1, shape: ['batch', 2] }],
    },
  });
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.subarray(0, 2).toString('hex'), '0807'); // ir_version = 7 first
  assert.ok(bytes.includes(Buffer.from('fttl')));
  assert.throws(() => floatTensor('bad', [3], new Float32Array(2)), RangeError);
});
