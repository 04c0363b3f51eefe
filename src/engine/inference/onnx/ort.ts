import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';

export type OrtModule = typeof Ort;
export type OrtProvider = 'cpu' | 'cuda';

let loaded: Promise<OrtModule> | undefined;

/**
 * onnxruntime-node, loaded on first use (a native addon: an optional speed-up, never required).
 * Rejects with the loader's message when it is not installed or does not load on this platform.
 */
export function loadOrt(): Promise<OrtModule> {
  loaded ??= import('onnxruntime-node').then((m) => ((m as unknown as { default?: OrtModule }).default ?? m) as OrtModule);
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

/**
 * Whether onnxruntime's CUDA execution provider can be tried: its provider library sits beside the
 * native binding only when onnxruntime-node's install script fetched it (Linux x64 with CUDA 12);
 * `FTTL_ORT_CUDA=0` turns it off, `=1` tries it regardless.
 */
export function cudaProviderPresent(): boolean {
  const flag = process.env.FTTL_ORT_CUDA;
  if (flag === '0') return false;
  if (flag === '1') return true;
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  try {
    const require = createRequire(import.meta.url);
    const root = dirname(dirname(require.resolve('onnxruntime-node')));
    return existsSync(join(root, 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/** Threads for onnxruntime's intra-op pool: every core (FTTL_ORT_THREADS overrides). */
export function ortThreads(): number {
  const env = Number(process.env.FTTL_ORT_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

/**
 * Session options FTTL uses: all graph optimisations, one intra-op pool over all cores, sequential,
 * and pool threads that sleep instead of spin-waiting between parallel sections: on an idle 2-core
 * machine that is as fast (MobileNetV2 ~220 img/s either way), and with anything else running
 * (the editor, a training job, sharp decoding the next batch) spinning halved throughput
 * (60 vs 100–200 img/s measured). FTTL_ORT_SPIN=1 turns spinning back on.
 */
export function sessionOptions(provider: OrtProvider, threads: number): Ort.InferenceSession.SessionOptions {
  return {
    extra: { session: { intra_op: { allow_spinning: process.env.FTTL_ORT_SPIN === '1' ? '1' : '0' } } },
    executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
}
