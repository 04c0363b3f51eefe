// The worker client against the real engine worker (bundled by esbuild, run in a real worker_threads
// thread): requests, progress, cancellation, typed errors, crash and restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { WorkerClient } from '../../src/extension/workerClient.js';
import { WorkerError } from '../../src/shared/protocol.js';

const OUT = resolve('out/test-worker');
const script = join(OUT, 'worker.js');
let client: WorkerClient;
const crashes: WorkerError[] = [];
const logs: string[] = [];
let tmp: string;

before(async () => {
  mkdirSync(OUT, { recursive: true });
  await esbuild.build({ entryPoints: ['src/worker/main.ts'], outfile: script, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'error' });
  client = new WorkerClient({
    script,
    workerData: { backend: 'cpu' },
    env: { ...process.env, FTTL_WORKER_TEST_HOOKS: '1' },
    log: (level, m) => logs.push(`${level}: ${m}`),
    onCrash: (e) => crashes.push(e),
    cancelGraceMs: 5000,
  });
  tmp = mkdtempSync(join(tmpdir(), 'fttl-worker-'));
});

after(async () => {
  await client.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

test('a request gets its checked result; progress events reach the caller', async () => {
  const progress: number[] = [];
  const r = await client.request('sleep', { ms: 30 }, { onProgress: (p) => progress.push(p.done) });
  assert.ok(r.slept >= 30);
  assert.equal(client.starts, 1);
  // Real engine call with progress: nothing to do for an empty run list.
  const runs = await client.request('listRuns', { workDir: tmp });
  assert.deepEqual(runs.runs, []);
});

test('bad params are refused before they are sent (protocol error), and the worker is unharmed', async () => {
  await assert.rejects(client.request('sleep', { ms: -1 }), (e: unknown) => e instanceof WorkerError && e.kind === 'protocol');
  await assert.rejects(client.request('classify', { workDir: tmp, runDir: 'x', images: [], topK: 3, gradcam: false }), (e: unknown) => e instanceof WorkerError && e.kind === 'protocol' && /images/.test(e.message));
  assert.equal((await client.request('sleep', { ms: 1 })).slept >= 1, true);
});

test('params that cannot cross threads are refused as a protocol error, not a crash', async () => {
  const params = { workDir: tmp, runDirs: [] as string[] };
  Object.defineProperty(params, 'extra', { value: () => 1, enumerable: true });
  await assert.rejects(client.request('compare', params), (e: unknown) => e instanceof WorkerError && e.kind === 'protocol' && /could not be sent/.test(e.message));
  assert.equal((await client.request('sleep', { ms: 1 })).slept >= 1, true);
});

test('engine errors keep their kind: a folder with no images is bad input, with a clear message', async () => {
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'notes.txt'), 'no images');
  await assert.rejects(client.request('scanDataset', { source: empty }), (e: unknown) => e instanceof WorkerError && e.kind === 'bad-input' && /No images found/.test(e.message));
  await assert.rejects(client.request('scanDataset', { source: join(tmp, 'missing') }), (e: unknown) => e instanceof WorkerError && e.kind === 'bad-input' && /not found/.test(e.message));
  await assert.rejects(client.request('report', { workDir: tmp, runDir: tmp, thumbnails: 0, embedding: false }), (e: unknown) => e instanceof WorkerError && e.kind === 'bad-input' && /not an FTTL run folder/.test(e.message));
});

test('cancellation: aborting the signal stops the request with a "cancelled" error', async () => {
  const ac = new AbortController();
  const started = Date.now();
  const p = client.request('sleep', { ms: 10000 }, { signal: ac.signal });
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(p, (e: unknown) => e instanceof WorkerError && e.kind === 'cancelled');
  assert.ok(Date.now() - started < 3000, 'stopped promptly');
  assert.equal(client.starts, 1, 'the worker was not restarted for a cooperative cancel');
  await assert.rejects(client.request('sleep', { ms: 10 }, { signal: ac.signal }), /Cancelled/, 'an already-aborted signal never sends');
});

test('concurrent requests are answered by id', async () => {
  const [a, b] = await Promise.all([client.request('sleep', { ms: 80 }), client.request('sleep', { ms: 10 })]);
  assert.ok(a.slept >= 80 && b.slept >= 10 && b.slept < a.slept);
});

test('a worker that exits is reported; pending requests fail as "crashed"; the next request restarts it', async () => {
  const startsBefore = client.starts;
  const pending = client.request('sleep', { ms: 5000 });
  pending.catch(() => undefined);
  await assert.rejects(client.request('crash', { how: 'exit' }), (e: unknown) => e instanceof WorkerError && e.kind === 'crashed' && /stopped unexpectedly/.test(e.message));
  await assert.rejects(pending, (e: unknown) => e instanceof WorkerError && e.kind === 'crashed');
  assert.ok(crashes.length >= 1);
  assert.equal(client.running, false);
  const r = await client.request('sleep', { ms: 5 });
  assert.ok(r.slept >= 5);
  assert.equal(client.starts, startsBefore + 1);
});

test('an uncaught exception in the worker is a crash too, followed by a restart', async () => {
  const startsBefore = client.starts;
  const pending = assert.rejects(client.request('sleep', { ms: 5000 }), (e: unknown) => e instanceof WorkerError && e.kind === 'crashed' && /simulated crash/.test(e.message));
  // The crash may come before or after the crash request's own answer.
  await client.request('crash', { how: 'throw' }).catch((e: unknown) => assert.equal((e as WorkerError).kind, 'crashed'));
  await pending;
  assert.equal((await client.request('sleep', { ms: 1 })).slept >= 1, true);
  assert.equal(client.starts, startsBefore + 1);
});

test('an abort right after the call is not lost', async () => {
  const ac = new AbortController();
  const p = client.request('sleep', { ms: 10000 }, { signal: ac.signal });
  ac.abort();
  await assert.rejects(p, (e: unknown) => e instanceof WorkerError && e.kind === 'cancelled');
});

test('a worker that cannot stop on Cancel is terminated after the grace period and restarted', async () => {
  const quick = new WorkerClient({ script, workerData: { backend: 'cpu' }, env: { ...process.env, FTTL_WORKER_TEST_HOOKS: '1' }, cancelGraceMs: 200 });
  try {
    await quick.request('sleep', { ms: 1 });
    const ac = new AbortController();
    const started = Date.now();
    const p = quick.request('sleep', { ms: 20000, busy: true }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(p, (e: unknown) => e instanceof WorkerError && e.kind === 'cancelled');
    assert.ok(Date.now() - started < 5000, `gave up after the grace period (${Date.now() - started} ms)`);
    assert.equal((await quick.request('sleep', { ms: 1 })).slept >= 1, true);
    assert.equal(quick.starts, 2);
  } finally {
    await quick.dispose();
  }
  await assert.rejects(quick.request('sleep', { ms: 1 }), /shut down/);
});
