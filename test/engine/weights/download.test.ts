// Every request here goes to a local http server on 127.0.0.1; nothing reaches the internet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FttlError } from '../../../src/engine/util/errors.js';
import type { Progress } from '../../../src/engine/util/progress.js';
import { ensureWeightsFile, kerasWeightsFor, weightsCacheDir, type KnownWeights } from '../../../src/engine/weights/download.js';

const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const BODY = Buffer.concat([HDF5_MAGIC, randomBytes(300_000)]);
const MD5 = createHash('md5').update(BODY).digest('hex');
const SHA256 = createHash('sha256').update(BODY).digest('hex');
const FILE = 'mobilenet_2_5_224_tf_no_top.h5';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function serve(t: { after: (fn: () => Promise<void> | void) => void }, handler: Handler) {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    handler(req, res, requests.length);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const close = () => new Promise<void>((ok) => {
    server.closeAllConnections();
    server.close(() => ok());
  });
  t.after(close);
  return { url: `http://127.0.0.1:${port}/keras-applications/mobilenet/${FILE}`, requests, close };
}

/** Serves BODY, honouring "Range: bytes=N-" with a 206. */
function rangeServing(req: IncomingMessage, res: ServerResponse): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    res.writeHead(206, { 'Content-Length': BODY.length - start, 'Content-Range': `bytes ${start}-${BODY.length - 1}/${BODY.length}` });
    res.end(BODY.subarray(start));
  } else {
    res.writeHead(200, { 'Content-Length': BODY.length });
    res.end(BODY);
  }
}

/** Sends the headers for the whole body and only its first `bytes`, then drops the connection. */
function breakOff(res: ServerResponse, bytes: number): void {
  res.writeHead(200, { 'Content-Length': BODY.length });
  res.write(BODY.subarray(0, bytes), () => setTimeout(() => res.socket?.destroy(), 20));
}

async function tmp(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-dl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const known = (url: string, extra: Partial<KnownWeights> = {}): KnownWeights => ({ fileName: FILE, url, md5: MD5, ...extra });

const noFetch = (() => {
  throw new Error('no request may be made');
}) as unknown as typeof fetch;

test('fresh download: progress, checksum, atomic rename; then served from the cache', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, rangeServing);
  const progress: Progress[] = [];
  const path = await ensureWeightsFile(known(server.url, { sha256: SHA256 }), { cacheDir: dir, kerasDir: false, onProgress: (p) => progress.push(p) });
  assert.equal(path, join(dir, FILE));
  assert.deepEqual(await readFile(path), BODY);
  assert.deepEqual(await readdir(dir), [FILE], 'no .part left');
  assert.ok(progress.length >= 2);
  assert.deepEqual(progress.at(-1), { phase: `download ${FILE}`, done: BODY.length, total: BODY.length, message: server.url });
  assert.ok(progress.every((p, i) => i === 0 || p.done >= progress[i - 1]!.done));

  assert.equal(await ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false, fetchImpl: noFetch }), path);
  assert.equal(server.requests.length, 1);
});

test('resumes an interrupted transfer with a Range request', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, (req, res, n) => (n === 1 ? breakOff(res, 100_000) : rangeServing(req, res)));
  const opts = { cacheDir: dir, kerasDir: false as const, retries: 0 };
  await assert.rejects(ensureWeightsFile(known(server.url), opts), (e) => e instanceof FttlError && e.kind === 'network');
  const partSize = (await stat(join(dir, `${FILE}.part`))).size;
  assert.ok(partSize > 0 && partSize <= 100_000, `.part kept with what arrived (${partSize} bytes)`);

  const progress: Progress[] = [];
  const path = await ensureWeightsFile(known(server.url), { ...opts, onProgress: (p) => progress.push(p) });
  assert.deepEqual(await readFile(path), BODY);
  assert.equal(server.requests.length, 2);
  assert.equal(server.requests[1]!.range, `bytes=${partSize}-`);
  assert.equal(progress[0]!.done, partSize, 'progress starts from the resumed offset');
  assert.equal(progress.at(-1)!.done, BODY.length);
  assert.deepEqual(await readdir(dir), [FILE]);
});

test('a transfer that breaks off is resumed within the same call (retries)', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, (req, res, n) => (n === 1 ? breakOff(res, 50_000) : rangeServing(req, res)));
  const path = await ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false });
  assert.deepEqual(await readFile(path), BODY);
  assert.equal(server.requests.length, 2);
  assert.match(server.requests[1]!.range ?? '', /^bytes=\d+-$/);
});

test('concurrent calls for one file share one download', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, rangeServing);
  const opts = { cacheDir: dir, kerasDir: false as const };
  const [a, b] = await Promise.all([ensureWeightsFile(known(server.url), opts), ensureWeightsFile(known(server.url), opts)]);
  assert.equal(a, b);
  assert.equal(server.requests.length, 1);
});

test('a server that ignores Range (200) restarts the download', async (t) => {
  const dir = await tmp(t);
  await writeFile(join(dir, `${FILE}.part`), Buffer.from('stale partial bytes'));
  const server = await serve(t, (_req, res) => {
    res.writeHead(200, { 'Content-Length': BODY.length });
    res.end(BODY);
  });
  const path = await ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false });
  assert.equal(server.requests[0]!.range, 'bytes=19-');
  assert.deepEqual(await readFile(path), BODY);
});

test('a checksum mismatch throws FttlError("weights") and leaves nothing in the cache', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, rangeServing);
  await assert.rejects(
    ensureWeightsFile(known(server.url, { md5: '0'.repeat(32) }), { cacheDir: dir, kerasDir: false }),
    (e) => e instanceof FttlError && e.kind === 'weights' && e.message.includes(`its MD5 is ${MD5}, not ${'0'.repeat(32)}`),
  );
  assert.deepEqual(await readdir(dir), []);
});

test('without a checksum, an HTML page is not accepted as a .h5 file', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<html>captive portal</html>');
  });
  await assert.rejects(
    ensureWeightsFile({ fileName: 'x.h5', url: server.url }, { cacheDir: dir, kerasDir: false }),
    (e) => e instanceof FttlError && e.kind === 'weights' && /not an HDF5 file/.test(e.message),
  );
  assert.deepEqual(await readdir(dir), []);
});

test('server down or HTTP error: FttlError("network") with the offline hint', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, (_req, res) => {
    res.writeHead(404, 'Not Found');
    res.end();
  });
  await assert.rejects(
    ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false }),
    (e) => e instanceof FttlError && e.kind === 'network' && e.message.startsWith(`Could not download ${server.url}: HTTP 404 Not Found.`),
  );
  await server.close();
  await assert.rejects(ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false }), (e) => {
    assert.ok(e instanceof FttlError);
    assert.equal(e.kind, 'network');
    assert.match(e.message, /ECONNREFUSED/);
    assert.ok(e.message.includes(`Could not download ${server.url}: `));
    assert.ok(e.message.endsWith(`. Put ${FILE} into ${dir} (or set FTTL_WEIGHTS_CACHE) to work offline.`), e.message);
    return true;
  });
});

test('cancelling keeps the .part; the next call resumes it', async (t) => {
  const dir = await tmp(t);
  const controller = new AbortController();
  const server = await serve(t, (req, res, n) => {
    if (n === 1) {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.write(BODY.subarray(0, 64_000)); // then stall until the user cancels
      setTimeout(() => controller.abort(), 300);
    } else rangeServing(req, res);
  });
  await assert.rejects(
    ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false, signal: controller.signal }),
    (e) => e instanceof FttlError && e.kind === 'cancelled',
  );
  const partSize = (await stat(join(dir, `${FILE}.part`))).size;
  assert.ok(partSize > 0);
  const path = await ensureWeightsFile(known(server.url), { cacheDir: dir, kerasDir: false });
  assert.equal(server.requests[1]!.range, `bytes=${partSize}-`);
  assert.deepEqual(await readFile(path), BODY);
});

test('a stalled transfer is abandoned after stallTimeoutMs and resumed', async (t) => {
  const dir = await tmp(t);
  const server = await serve(t, (req, res, n) => {
    if (n === 1) {
      res.writeHead(200, { 'Content-Length': BODY.length });
      res.write(BODY.subarray(0, 64_000)); // then stall
    } else if (n === 2) {
      res.writeHead(206, { 'Content-Range': `bytes 64000-${BODY.length - 1}/${BODY.length}` }); // headers, then nothing
    } else rangeServing(req, res);
  });
  const opts = { cacheDir: dir, kerasDir: false as const, stallTimeoutMs: 300 };
  await assert.rejects(
    ensureWeightsFile(known(server.url), { ...opts, retries: 1 }),
    (e) => e instanceof FttlError && e.kind === 'network' && /no data arrived for 0\.3 s/.test(e.message),
  );
  assert.equal(server.requests.length, 2, 'one retry after data had arrived, none after a stall with no data');
  assert.equal(server.requests[1]!.range, 'bytes=64000-');
  assert.deepEqual(await readFile(await ensureWeightsFile(known(server.url), opts)), BODY);
});

test('FTTL_WEIGHTS_CACHE pre-filled (air-gapped): no request is made', async (t) => {
  const dir = await tmp(t);
  await writeFile(join(dir, FILE), BODY);
  const saved = process.env.FTTL_WEIGHTS_CACHE;
  process.env.FTTL_WEIGHTS_CACHE = dir;
  t.after(async () => {
    if (saved === undefined) delete process.env.FTTL_WEIGHTS_CACHE;
    else process.env.FTTL_WEIGHTS_CACHE = saved;
  });
  const path = await ensureWeightsFile(known('http://127.0.0.1:9/unreachable.h5'), { kerasDir: false, fetchImpl: noFetch });
  assert.equal(path, join(dir, FILE));
});

test("a Keras user's ~/.keras/models copy is used read-only", async (t) => {
  const dir = await tmp(t);
  const kerasDir = join(dir, 'keras-models');
  await mkdir(kerasDir);
  await writeFile(join(kerasDir, FILE), BODY);
  const cacheDir = join(dir, 'cache');
  const path = await ensureWeightsFile(known('http://127.0.0.1:9/x.h5'), { cacheDir, kerasDir, fetchImpl: noFetch });
  assert.equal(path, join(kerasDir, FILE));
  // A corrupt Keras copy is skipped (not deleted) and the file downloaded into the cache.
  await writeFile(join(kerasDir, FILE), Buffer.concat([HDF5_MAGIC, Buffer.alloc(10)]));
  const server = await serve(t, rangeServing);
  assert.equal(await ensureWeightsFile(known(server.url), { cacheDir, kerasDir }), join(cacheDir, FILE));
  assert.equal((await stat(join(kerasDir, FILE))).size, 18);
});

test('weightsCacheDir: explicit > FTTL_WEIGHTS_CACHE > ~/.cache/fttl/weights', (t) => {
  const saved = { cache: process.env.FTTL_WEIGHTS_CACHE, xdg: process.env.XDG_CACHE_HOME };
  t.after(() => {
    for (const [k, v] of [['FTTL_WEIGHTS_CACHE', saved.cache], ['XDG_CACHE_HOME', saved.xdg]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  delete process.env.XDG_CACHE_HOME;
  process.env.FTTL_WEIGHTS_CACHE = '/srv/weights';
  assert.equal(weightsCacheDir('rel/dir'), resolve('rel/dir'));
  assert.equal(weightsCacheDir(), resolve('/srv/weights'));
  delete process.env.FTTL_WEIGHTS_CACHE;
  assert.equal(weightsCacheDir(), join(homedir(), '.cache', 'fttl', 'weights'));
});

test('kerasWeightsFor: the canonical Keras Applications URLs and checksums', () => {
  const base = 'https://storage.googleapis.com/tensorflow/keras-applications';
  assert.deepEqual(kerasWeightsFor('vgg16', undefined, false), {
    fileName: 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5',
    url: `${base}/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`,
    md5: '6d6bbae143d832006294945121d1f1fc',
  });
  assert.equal(kerasWeightsFor('vgg16', undefined, true).md5, '64373286793e3c8b2b4e3219cbf3544b');
  assert.deepEqual(kerasWeightsFor('mobilenet_v1', 0.25, false), {
    fileName: 'mobilenet_2_5_224_tf_no_top.h5',
    url: `${base}/mobilenet/mobilenet_2_5_224_tf_no_top.h5`,
    md5: 'f313cee49f5d33dfb06f2b255c4adb64',
    bytes: 2108140,
  });
  assert.equal(kerasWeightsFor('mobilenet_v1', 1, true, 160).url, `${base}/mobilenet/mobilenet_1_0_160_tf.h5`);
  assert.equal(kerasWeightsFor('mobilenet_v1', 0.5, false, 300).fileName, 'mobilenet_5_0_224_tf_no_top.h5');
  assert.equal(
    kerasWeightsFor('mobilenet_v2', 1, false).url,
    `${base}/mobilenet_v2/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5`,
  );
  assert.equal(kerasWeightsFor('mobilenet_v2', 0.35, true, 96).fileName, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5');
  assert.throws(() => kerasWeightsFor('mobilenet_v2', 0.6, false), (e) => e instanceof FttlError && e.kind === 'bad-input');
  assert.throws(() => kerasWeightsFor('mobilenet_v1', 1, true, 300), (e) => e instanceof FttlError && e.kind === 'bad-input');
  assert.throws(() => kerasWeightsFor('vgg16', undefined, true, 256), (e) => e instanceof FttlError && e.kind === 'bad-input');
});
