// Download-on-first-use of Keras Applications' ImageNet weights into a local cache, resumable,
// checksum-verified, and usable offline from a pre-filled folder.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { FttlError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { hasHdf5Signature } from './hdf5.js';

export interface KnownWeights {
  fileName: string;
  url: string;
  md5?: string;
  sha256?: string;
  bytes?: number;
}

export type KerasWeightsArchitecture = 'vgg16' | 'mobilenet_v1' | 'mobilenet_v2';

export const KERAS_APPLICATIONS_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications';

/** Checksums Keras Applications lists (VGG-16), plus ones measured on the files Keras downloads. */
const KNOWN_CHECKSUMS: Record<string, { md5: string; bytes?: number }> = {
  // keras/applications/vgg16.py (file_hash of WEIGHTS_PATH / WEIGHTS_PATH_NO_TOP)
  'vgg16_weights_tf_dim_ordering_tf_kernels.h5': { md5: '64373286793e3c8b2b4e3219cbf3544b' },
  'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5': { md5: '6d6bbae143d832006294945121d1f1fc' },
  // Keras lists no hash for MobileNet; measured on the file it downloads (../shared/data/keras_mobilenet_0.25_224_notop).
  'mobilenet_2_5_224_tf_no_top.h5': { md5: 'f313cee49f5d33dfb06f2b255c4adb64', bytes: 2108140 },
};

const V1_ALPHA_TEXT = new Map<number, string>([[1.0, '1_0'], [0.75, '7_5'], [0.5, '5_0'], [0.25, '2_5']]);
const V1_ROWS = [128, 160, 192, 224];
const V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];
const V2_ROWS = [96, 128, 160, 192, 224];

/**
 * The Keras Applications ImageNet weights file for an architecture, as keras.applications downloads it.
 * alpha defaults to 1.0 and inputSize to 224; a no-top MobileNet with an input size Keras has no weights
 * for gets the 224 weights (as Keras does), a with-top one is refused.
 */
export function kerasWeightsFor(
  arch: KerasWeightsArchitecture,
  alpha: number | undefined,
  includeTop: boolean,
  inputSize?: number,
): KnownWeights {
  let dir: string;
  let fileName: string;
  if (arch === 'vgg16') {
    if (includeTop && inputSize !== undefined && inputSize !== 224) {
      throw new FttlError('bad-input', `VGG-16 with its ImageNet classifier needs 224 px input, not ${inputSize}.`);
    }
    dir = 'vgg16';
    fileName = `vgg16_weights_tf_dim_ordering_tf_kernels${includeTop ? '' : '_notop'}.h5`;
  } else if (arch === 'mobilenet_v1') {
    const a = alpha ?? 1.0;
    const text = V1_ALPHA_TEXT.get(a);
    if (text === undefined) {
      throw new FttlError('bad-input', `Keras has MobileNet v1 ImageNet weights for alpha 0.25, 0.5, 0.75 and 1.0, not ${a}.`);
    }
    const rows = pickRows('MobileNet v1', inputSize, V1_ROWS, includeTop);
    dir = 'mobilenet';
    fileName = `mobilenet_${text}_${rows}_tf${includeTop ? '' : '_no_top'}.h5`;
  } else if (arch === 'mobilenet_v2') {
    const a = alpha ?? 1.0;
    if (!V2_ALPHAS.includes(a)) {
      throw new FttlError('bad-input', `Keras has MobileNetV2 ImageNet weights for alpha ${V2_ALPHAS.join(', ')}, not ${a}.`);
    }
    const rows = pickRows('MobileNetV2', inputSize, V2_ROWS, includeTop);
    const alphaText = Number.isInteger(a) ? a.toFixed(1) : String(a); // Python's str(float(alpha))
    dir = 'mobilenet_v2';
    fileName = `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${alphaText}_${rows}${includeTop ? '' : '_no_top'}.h5`;
  } else {
    throw new FttlError('bad-input', `No Keras weights are known for architecture "${String(arch)}".`);
  }
  const known: KnownWeights = { fileName, url: `${KERAS_APPLICATIONS_BASE}/${dir}/${fileName}` };
  const sums = KNOWN_CHECKSUMS[fileName];
  if (sums) {
    known.md5 = sums.md5;
    if (sums.bytes !== undefined) known.bytes = sums.bytes;
  }
  return known;
}

function pickRows(what: string, inputSize: number | undefined, allowed: number[], includeTop: boolean): number {
  if (inputSize === undefined || allowed.includes(inputSize)) return inputSize ?? 224;
  if (includeTop) {
    throw new FttlError('bad-input', `Keras has ${what} ImageNet weights with the classifier for ${allowed.join(', ')} px input, not ${inputSize}.`);
  }
  return 224;
}

/** Where downloaded weights live: explicit > $FTTL_WEIGHTS_CACHE > $XDG_CACHE_HOME/fttl/weights (~/.cache/fttl/weights). */
export function weightsCacheDir(explicit?: string): string {
  if (explicit) return resolve(explicit);
  const env = process.env.FTTL_WEIGHTS_CACHE;
  if (env) return resolve(env);
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'fttl', 'weights');
}

/** Keras's own download folder ($KERAS_HOME/models, else ~/.keras/models), searched read-only. */
export function kerasModelsDir(): string {
  return join(process.env.KERAS_HOME || join(homedir(), '.keras'), 'models');
}

export interface EnsureWeightsOptions {
  cacheDir?: string;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  /** A read-only folder searched after the cache; default kerasModelsDir(); false: none. */
  kerasDir?: string | false;
  /** Further attempts (resuming) after a transfer breaks off having received data; default 2. */
  retries?: number;
  /** An attempt that receives nothing for this long is abandoned (and resumed if retries allow); default 60 s. */
  stallTimeoutMs?: number;
}

const inFlight = new Map<string, Promise<string>>();

/**
 * The local path of a weights file: the cached (or Keras-downloaded) copy when its checksum holds,
 * else downloaded into the cache — to `<file>.part`, resumed with a Range request when a .part exists,
 * verified, then renamed into place.
 */
export function ensureWeightsFile(w: KnownWeights, opts: EnsureWeightsOptions = {}): Promise<string> {
  if (!w.fileName || /[\\/]/.test(w.fileName) || w.fileName === '.' || w.fileName === '..') {
    return Promise.reject(new FttlError('internal', `Bad weights file name "${w.fileName}".`));
  }
  const cacheDir = weightsCacheDir(opts.cacheDir);
  const target = join(cacheDir, w.fileName);
  const running = inFlight.get(target);
  if (running) return running;
  const job = ensure(w, cacheDir, target, opts).finally(() => inFlight.delete(target));
  inFlight.set(target, job);
  return job;
}

async function ensure(w: KnownWeights, cacheDir: string, target: string, opts: EnsureWeightsOptions): Promise<string> {
  let cachedProblem: string | undefined;
  if (await isFile(target)) {
    const problem = await verify(target, w);
    if (!problem) return target;
    cachedProblem = `${target} is there but ${problem}`; // replaced by the download below
  }
  const kerasDir = opts.kerasDir === undefined ? kerasModelsDir() : opts.kerasDir;
  if (kerasDir) {
    const candidate = join(kerasDir, w.fileName);
    if ((await isFile(candidate)) && !(await verify(candidate, w))) return candidate;
  }

  if (opts.signal?.aborted) throw cancelled(w, target);
  try {
    await mkdir(cacheDir, { recursive: true });
  } catch (err) {
    throw new FttlError(
      'weights',
      `Cannot create the weights cache folder ${cacheDir}: ${(err as Error).message}. Set FTTL_WEIGHTS_CACHE to a writable folder.`,
      { cause: err },
    );
  }
  const part = `${target}.part`;
  const fetchImpl = opts.fetchImpl ?? globalThis.fetch;
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const state: AttemptState = { received: 0, stalled: false };
    try {
      await downloadOnce(w, part, fetchImpl, opts, state);
      break;
    } catch (err) {
      if (err instanceof FttlError) throw err;
      if (opts.signal?.aborted) throw cancelled(w, target);
      if (attempt < retries && state.received > 0) continue; // resume from what arrived
      const seconds = (opts.stallTimeoutMs ?? 60_000) / 1000;
      const reason = state.stalled ? `no data arrived for ${seconds} s` : reasonOf(err);
      throw networkError(w, cacheDir, reason, cachedProblem);
    }
  }

  const problem = await verify(part, w);
  if (problem) {
    await rm(part, { force: true });
    throw new FttlError('weights', `Downloaded ${w.fileName} from ${w.url}, but ${problem}; the download was deleted.`);
  }
  await rename(part, target);
  return target;
}

interface AttemptState {
  received: number;
  stalled: boolean;
}

/** One HTTP request appending to (or restarting) `part`. Network trouble is thrown raw; HTTP errors as FttlError. */
async function downloadOnce(
  w: KnownWeights,
  part: string,
  fetchImpl: typeof fetch,
  opts: EnsureWeightsOptions,
  state: AttemptState,
): Promise<void> {
  // The request is aborted when the caller cancels or when nothing arrives for stallTimeoutMs.
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const stallMs = opts.stallTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.stalled = true;
      controller.abort(new Error('stalled'));
    }, stallMs);
  };
  try {
    arm();
    let offset = await sizeOf(part);
    while ((await transfer(w, part, fetchImpl, opts, state, offset, controller.signal, arm)) === 'restart') offset = 0;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

async function transfer(
  w: KnownWeights,
  part: string,
  fetchImpl: typeof fetch,
  opts: EnsureWeightsOptions,
  state: AttemptState,
  offset: number,
  signal: AbortSignal,
  onData: () => void,
): Promise<'done' | 'restart'> {
  const cacheDir = resolve(part, '..');
  const headers: Record<string, string> = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  const res = await fetchImpl(w.url, { headers, redirect: 'follow', signal });
  onData();

  let start = 0;
  let total: number | undefined;
  const length = headerNumber(res.headers.get('content-length'));
  if (res.status === 206 && offset > 0) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      await res.body?.cancel();
      return 'restart'; // a range we did not ask for: start over
    }
    start = offset;
    total = range[2] !== '*' ? Number(range[2]) : length !== undefined ? offset + length : undefined;
  } else if (res.status === 416 && offset > 0) {
    await res.body?.cancel();
    return 'restart'; // the .part is unusable: start over
  } else if (res.ok) {
    total = length; // 200: the whole file (a server that ignores Range included)
  } else {
    await res.body?.cancel().catch(() => undefined);
    throw networkError(w, cacheDir, `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  total ??= w.bytes;

  const fh = await open(part, start > 0 ? 'a' : 'w');
  let done = start;
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = Date.now();
    if (!opts.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    opts.onProgress({ phase: `download ${w.fileName}`, done, total: total ?? 0, message: w.url });
  };
  try {
    report(true);
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done: end, value } = await reader.read();
        if (end) break;
        await fh.write(value);
        done += value.byteLength;
        state.received += value.byteLength;
        onData();
        report(false);
      }
    }
  } finally {
    await fh.close();
  }
  report(true);
  if (total !== undefined && done !== total) {
    throw new Error(`the connection closed after ${done} of ${total} bytes`);
  }
  return 'done';
}

/** Why a file is not the expected one, or undefined when it is. Hashes are remembered per size+mtime. */
async function verify(path: string, w: KnownWeights): Promise<string | undefined> {
  const info = await stat(path);
  if (w.bytes !== undefined && info.size !== w.bytes) return `it has ${info.size} bytes, not ${w.bytes}`;
  if (w.md5 || w.sha256) {
    const key = `${path}\0${info.size}\0${info.mtimeMs}`;
    let sums = hashMemo.get(key);
    if (!sums) {
      sums = await hashFile(path);
      hashMemo.set(key, sums);
    }
    if (w.md5 && sums.md5 !== w.md5.toLowerCase()) return `its MD5 is ${sums.md5}, not ${w.md5}`;
    if (w.sha256 && sums.sha256 !== w.sha256.toLowerCase()) return `its SHA-256 is ${sums.sha256}, not ${w.sha256}`;
    return undefined;
  }
  // No checksum known: at least refuse an HTML error page saved under a .h5 name.
  if (/\.(h5|hdf5)$/i.test(path.replace(/\.part$/, '')) && !(await hasHdf5Signature(path))) {
    return 'it is not an HDF5 file';
  }
  return undefined;
}

const hashMemo = new Map<string, { md5: string; sha256: string }>();

async function hashFile(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

function networkError(w: KnownWeights, cacheDir: string, reason: string, cachedProblem?: string): FttlError {
  return new FttlError(
    'network',
    `Could not download ${w.url}: ${reason}. Put ${w.fileName} into ${cacheDir} (or set FTTL_WEIGHTS_CACHE) to work offline.` +
      (cachedProblem ? ` (${cachedProblem}.)` : ''),
  );
}

function cancelled(w: KnownWeights, target: string): FttlError {
  return new FttlError('cancelled', `Download of ${w.fileName} cancelled; what arrived is kept in ${target}.part to resume next time.`);
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  if (!cause) return err.message;
  const detail = cause.code && !cause.code.startsWith('UND_ERR') ? cause.code : cause.message;
  return detail ? `${err.message} (${detail})` : err.message;
}

function headerNumber(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
