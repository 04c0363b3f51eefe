import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromWorkerSchema, parseParams, parseResult, ProtocolError, toWorkerSchema, METHOD_NAMES } from '../../src/shared/protocol.js';

test('host → worker: a request names a known method; a cancel names an id', () => {
  assert.ok(toWorkerSchema.safeParse({ type: 'request', id: 1, method: 'extract', params: {} }).success);
  assert.ok(toWorkerSchema.safeParse({ type: 'cancel', id: 1 }).success);
  assert.ok(!toWorkerSchema.safeParse({ type: 'request', id: 1, method: 'rm -rf', params: {} }).success);
  assert.ok(!toWorkerSchema.safeParse({ type: 'request', id: -1, method: 'extract', params: {} }).success);
  assert.ok(!toWorkerSchema.safeParse({ type: 'shutdown' }).success);
  assert.ok(!toWorkerSchema.safeParse('hello').success);
});

test('worker → host: results, typed errors, progress, epochs, logs', () => {
  assert.ok(fromWorkerSchema.safeParse({ type: 'ready', protocol: 1, pid: 3 }).success);
  assert.ok(fromWorkerSchema.safeParse({ type: 'error', id: 2, error: { kind: 'cancelled', message: 'Cancelled by the user.' } }).success);
  assert.ok(!fromWorkerSchema.safeParse({ type: 'error', id: 2, error: { kind: 'oops', message: 'x' } }).success, 'unknown error kinds are refused');
  assert.ok(fromWorkerSchema.safeParse({ type: 'progress', id: 2, progress: { phase: 'extract features', done: 3, total: 60 } }).success);
  assert.ok(fromWorkerSchema.safeParse({ type: 'epoch', id: 2, epoch: { epoch: 1, total: 50, loss: 1.2, phase: 'train mlp1' } }).success);
  assert.ok(!fromWorkerSchema.safeParse({ type: 'progress', id: 2, progress: { phase: 'x', done: '3', total: 60 } }).success);
});

test('params are checked per method, with a message naming the field', () => {
  const good = {
    workDir: '/w',
    train: '/data',
    backbone: 'default',
    resizeMode: 'stretch',
    seed: 1,
    testFraction: 0.3,
    valFraction: 0.1,
    batchSize: 16,
  };
  assert.equal(parseParams('extract', good).train, '/data');
  assert.throws(() => parseParams('extract', { ...good, batchSize: 0 }), (e: unknown) => e instanceof ProtocolError && /batchSize/.test((e as Error).message));
  assert.throws(() => parseParams('extract', { ...good, resizeMode: 'squash' }), /resizeMode/);
  assert.throws(() => parseParams('classify', { workDir: '/w', runDir: '/r', images: [], topK: 3, gradcam: false }), /images/);
});

test('results are checked on the host side', () => {
  assert.deepEqual(parseResult('sleep', { slept: 5 }), { slept: 5 });
  assert.throws(() => parseResult('listRuns', { runs: [{ id: 1 }] }), /Invalid result from "listRuns"/);
});

test('every method has a params and a result schema', () => {
  assert.ok(METHOD_NAMES.length >= 15);
  for (const m of METHOD_NAMES) assert.ok(m.length > 0);
});
