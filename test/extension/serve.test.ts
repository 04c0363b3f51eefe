// The worker side of the protocol with a fake port: malformed messages, unknown methods, typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serve, toWireError, type Port } from '../../src/worker/serve.js';
import { progressSink } from '../../src/worker/handlers.js';
import { fromWorkerSchema } from '../../src/shared/protocol.js';
import { FttlError } from '../../src/engine/util/errors.js';

function fakePort() {
  const sent: any[] = [];
  let listener: (v: unknown) => void = () => undefined;
  const port: Port = {
    on: (_e, l) => {
      listener = l;
    },
    postMessage: (v) => sent.push(v),
  };
  return { port, sent, send: (v: unknown) => listener(v), settle: () => new Promise((r) => setTimeout(r, 20)) };
}

test('the worker says ready, answers, and reports handler errors with their kind', async () => {
  const f = fakePort();
  serve(f.port, {
    sleep: async ({ ms }) => ({ slept: ms }),
    scanDataset: async () => {
      throw new FttlError('bad-input', 'No images found in /x');
    },
    listRuns: async () => {
      throw new TypeError('undefined is not a function');
    },
  });
  assert.equal(f.sent[0].type, 'ready');
  f.send({ type: 'request', id: 1, method: 'sleep', params: { ms: 3 } });
  f.send({ type: 'request', id: 2, method: 'scanDataset', params: { source: '/x' } });
  f.send({ type: 'request', id: 3, method: 'listRuns', params: { workDir: '/w' } });
  f.send({ type: 'request', id: 4, method: 'extract', params: {} });
  f.send({ type: 'request', id: 5, method: 'sleep', params: { ms: 'soon' } });
  await f.settle();
  const byId = (id: number) => f.sent.find((m) => m.id === id && (m.type === 'result' || m.type === 'error'));
  assert.deepEqual(byId(1), { type: 'result', id: 1, result: { slept: 3 } });
  assert.deepEqual(byId(2).error, { kind: 'bad-input', message: 'No images found in /x' });
  assert.equal(byId(3).error.kind, 'internal');
  assert.ok(f.sent.some((m) => m.type === 'log' && m.level === 'error' && /TypeError/.test(m.message)), 'internal errors log their stack');
  assert.equal(byId(4).error.kind, 'protocol', 'a method this worker does not serve');
  assert.match(byId(5).error.message, /Invalid parameters for "sleep": ms/);
});

test('malformed messages are logged and ignored (answered when they carry an id)', async () => {
  const f = fakePort();
  serve(f.port, {});
  f.send('garbage');
  f.send({ type: 'request', id: 9, method: 'format-disk', params: {} });
  await f.settle();
  const logs = f.sent.filter((m) => m.type === 'log');
  assert.equal(logs.length, 2);
  assert.match(logs[0].message, /Malformed message/);
  assert.equal(f.sent.find((m) => m.id === 9).error.kind, 'protocol');
});

test('cancel aborts the handler\'s signal', async () => {
  const f = fakePort();
  serve(f.port, {
    sleep: (_p, ctx) =>
      new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(new FttlError('cancelled', 'Cancelled by the user.')))),
  });
  f.send({ type: 'request', id: 1, method: 'sleep', params: { ms: 100000 } });
  f.send({ type: 'cancel', id: 1 });
  await f.settle();
  assert.equal(f.sent.find((m) => m.id === 1).error.kind, 'cancelled');
});

test('toWireError keeps FttlError kinds and maps the rest to internal', () => {
  assert.deepEqual(toWireError(new FttlError('weights', 'w')), { kind: 'weights', message: 'w' });
  assert.deepEqual(toWireError('text'), { kind: 'internal', message: 'text' });
  assert.equal(toWireError({ kind: 'nonsense', message: 'm' }).kind, 'internal');
});

test('epoch events come from the engine\'s structured epoch record, never from the message text', () => {
  const progress: unknown[] = [];
  const epochs: unknown[] = [];
  const sink = progressSink({ signal: new AbortController().signal, progress: (p) => progress.push(p), epoch: (e) => epochs.push(e), log: () => undefined });
  const record = { epoch: 3, loss: 0.9123, accuracy: 0.5, valLoss: 1.2, valAccuracy: 0.4, seconds: 0.1 };
  sink({ phase: 'train mlp1', done: 3, total: 50, message: 'loss 0.9123 val 1.2000', epoch: { record, total: 50 } });
  // Fine-tuning: `done`/`total` count batches; the epoch event's total is the planned epochs.
  sink({ phase: 'fine-tune', done: 40, total: 100, message: 'epoch 2/5 done · loss 0.5000 · 9.0 img/s', epoch: { record: { epoch: 2, loss: 0.5, accuracy: 0.7, seconds: 1 }, total: 5 } });
  // Text that looks like an epoch but carries no record is only progress.
  sink({ phase: 'train lr', done: 7, total: 100, message: 'loss 0.5000' });
  sink({ phase: 'fine-tune', done: 3, total: 100, message: 'epoch 1/5 batch 3/20' });
  sink({ phase: 'extract features', done: 3, total: 50, message: '3 cached' });
  assert.deepEqual(epochs, [
    { epoch: 3, total: 50, loss: 0.9123, valLoss: 1.2, phase: 'train mlp1' },
    { epoch: 2, total: 5, loss: 0.5, phase: 'fine-tune' },
  ]);
  assert.equal(progress.length, 5, 'every report is forwarded as progress');
  assert.deepEqual(progress[0], { phase: 'train mlp1', done: 3, total: 50, message: 'loss 0.9123 val 1.2000' }, 'the record is not sent twice');
  for (const e of epochs) assert.ok(fromWorkerSchema.safeParse({ type: 'epoch', id: 1, epoch: e }).success);
});
