import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FttlError } from '../util/errors.js';

/** The compute backends FTTL can run on, fastest first. */
export const BACKEND_ORDER = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  /** Which of FTTL's backends is in use. */
  name: BackendName;
  /** The TensorFlow.js backend name (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Threads the backend computes with (1 for cpu; native TensorFlow decides its own: reported as 0). */
  threads: number;
  /** Backends tried before this one, and why each could not be used. */
  unavailable: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);
let chosen: Promise<BackendInfo> | undefined;

/**
 * Picks the best backend that loads, once per process: the native tfjs binding keeps one
 * process-wide TensorFlow, so it must only ever be loaded in one long-lived thread (the engine's).
 * `FTTL_BACKEND` in the environment overrides `preference`.
 */
export function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  chosen ??= choose(parsePreference(process.env.FTTL_BACKEND) ?? preference);
  return chosen;
}

/** The backend chosen earlier, for run records; throws if initBackend was never called. */
export async function currentBackend(): Promise<BackendInfo> {
  if (!chosen) throw new FttlError('internal', 'initBackend() has not been called.');
  return chosen;
}

function parsePreference(value: string | undefined): BackendPreference | undefined {
  if (!value) return undefined;
  if (value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value)) return value as BackendPreference;
  throw new FttlError('bad-input', `FTTL_BACKEND="${value}" is not one of auto, ${BACKEND_ORDER.join(', ')}.`);
}

async function choose(preference: BackendPreference): Promise<BackendInfo> {
  const candidates = preference === 'auto' ? [...BACKEND_ORDER] : [preference];
  const unavailable: BackendInfo['unavailable'] = [];
  for (const name of candidates) {
    try {
      const info = await activate(name);
      return { ...info, unavailable };
    } catch (err) {
      unavailable.push({ name, reason: (err as Error).message.split('\n')[0] ?? String(err) });
    }
  }
  const why = unavailable.map((u) => `${u.name}: ${u.reason}`).join('; ');
  throw new FttlError('internal', `No compute backend could be started (${why}).`);
}

async function activate(name: BackendName): Promise<Omit<BackendInfo, 'unavailable'>> {
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      // Optional packages a user installs (`npm run enable-native`); absent here, so load them by name at run time.
      const pkg = name === 'tensorflow-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      require(pkg);
      if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not start`);
      return { name, tfBackend: 'tensorflow', threads: 0 };
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from the package's dist folder, not fetched.
      wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
      if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
      // Gradient kernels wasm 4.22 lacks (conv / depthwise backprop) or runs as naive loops: needed to train.
      (await import('./wasmKernels/index.js')).registerWasmTrainingKernels();
      return { name, tfBackend: 'wasm', threads: wasm.getThreadsCount() };
    }
    case 'cpu': {
      await tf.setBackend('cpu');
      return { name, tfBackend: 'cpu', threads: 1 };
    }
  }
}

/** One line for logs and the CLI, e.g. "wasm (1 thread; tfjs-node not installed)". */
export function describeBackend(info: BackendInfo): string {
  const threads = info.threads === 0 ? 'native threads' : `${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  const skipped = info.unavailable.length ? `; not available: ${info.unavailable.map((u) => u.name).join(', ')}` : '';
  return `${info.name} (${threads}${skipped})`;
}
