import type * as tf from '@tensorflow/tfjs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreprocessKind } from '../../backbones/preprocess.js';
import type { ForwardRunner } from '../forwardRunner.js';
import { exportOnnx, INPUT_NAME, OPSET, OUTPUT_NAME } from './exportOnnx.js';
import { cudaProviderPresent, loadOrt, ortThreads, sessionOptions, type OrtModule, type OrtProvider } from './ort.js';

/** Bumped whenever the exporter's output changes, so stale cached graphs are not reused. */
export const EXPORT_VERSION = 2;

export interface OnnxModelSpec {
  /** The tf.layers model to run (a backbone's feature model: input → layer (+ pooling)). */
  model: tf.LayersModel;
  /**
   * What identifies the graph for the cache: backbone id (architecture + weights fingerprint),
   * layer and pooling, e.g. `mobilenet_v1_0.75_224@b277a6f4cc6b|conv_pw_13_relu|avg`.
   */
  key: string;
  preprocess: PreprocessKind;
}

export interface OnnxRunnerOptions {
  /** Folder of cached .onnx graphs (created if missing). */
  cacheDir: string;
  /** Intra-op threads (default: every core, or FTTL_ORT_THREADS). */
  threads?: number;
  /** 'auto' (default): CUDA when onnxruntime's CUDA provider is installed, else CPU. */
  provider?: 'auto' | OrtProvider;
}

export interface OnnxRunner extends ForwardRunner {
  /** The cached .onnx file the session runs. */
  readonly modelPath: string;
  /** Whether this call wrote the .onnx file (false: it came from the cache). */
  readonly exported: boolean;
  readonly threads: number;
}

/** File name of a cached graph: readable prefix + hash of everything the graph depends on. */
export function onnxCacheFile(cacheDir: string, spec: Pick<OnnxModelSpec, 'key' | 'preprocess'>, inputSize: number): string {
  const id = JSON.stringify({ v: EXPORT_VERSION, opset: OPSET, key: spec.key, preprocess: spec.preprocess, inputSize });
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 16);
  const slug = spec.key.split('@')[0]!.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60);
  return join(cacheDir, `${slug}-${hash}.onnx`);
}

/**
 * A ForwardRunner on onnxruntime: the model is exported to ONNX once (cached in `cacheDir`, written
 * atomically so concurrent processes never read half a file), then run by an InferenceSession.
 * Throws UnsupportedModelError when a layer has no translation, or onnxruntime's error when it
 * cannot load; callers (createRunner) fall back to tfjs.
 */
export async function onnxRunner(spec: OnnxModelSpec, opts: OnnxRunnerOptions): Promise<OnnxRunner> {
  const ort = await loadOrt();
  const inShape = spec.model.inputs[0]?.shape ?? [];
  const inputSize = typeof inShape[1] === 'number' ? inShape[1] : NaN;
  const outShape = (spec.model.outputs[0]?.shape ?? []).slice(1);
  const outputSize = outShape.reduce<number>((a, d) => a * (d ?? NaN), 1);
  const path = onnxCacheFile(opts.cacheDir, spec, inputSize);

  let exported = false;
  const build = async () => {
    const onnx = exportOnnx(spec.model, { preprocess: spec.preprocess, name: spec.key, metadata: { key: spec.key } });
    if (onnx.outputSize !== outputSize || onnx.inputSize !== inputSize) {
      throw new Error(`ONNX export of ${spec.key}: sizes ${onnx.inputSize}→${onnx.outputSize}, the model says ${inputSize}→${outputSize}`);
    }
    await writeAtomically(path, onnx.chunks);
    exported = true;
  };
  if (!(await stat(path).catch(() => undefined))?.isFile()) await build();

  const threads = opts.threads ?? ortThreads();
  const provider: OrtProvider = opts.provider === 'cpu' || opts.provider === 'cuda' ? opts.provider : cudaProviderPresent() ? 'cuda' : 'cpu';
  let session: Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
  let used = provider;
  const create = async () => {
    try {
      return await ort.InferenceSession.create(path, sessionOptions(used, threads));
    } catch (err) {
      if (used !== 'cuda') throw err;
      used = 'cpu'; // CUDA listed but unusable (driver, CUDA/cuDNN version): CPU still works.
      return ort.InferenceSession.create(path, sessionOptions(used, threads));
    }
  };
  try {
    session = await create();
  } catch (err) {
    if (exported) throw err;
    // A cached file that does not load (truncated by a crash before atomic writes, another version): rebuild once.
    await rm(path, { force: true });
    await build();
    session = await create();
  }

  const pixelsPerImage = inputSize * inputSize * 3;
  return {
    runtime: `onnxruntime-${used}`,
    inputSize,
    outputSize,
    modelPath: path,
    exported,
    threads,
    async run(pixels: Float32Array, count: number): Promise<Float32Array> {
      if (pixels.length < count * pixelsPerImage) throw new RangeError(`onnxRunner: ${pixels.length} values for ${count} images of ${inputSize}²×3`);
      const data = pixels.length === count * pixelsPerImage ? pixels : pixels.subarray(0, count * pixelsPerImage);
      const input = new ort.Tensor('float32', data, [count, inputSize, inputSize, 3]);
      const result = await session.run({ [INPUT_NAME]: input });
      const out = result[OUTPUT_NAME]!;
      const values = out.data as Float32Array;
      if (values.length !== count * outputSize) throw new Error(`onnxRunner: ${values.length} outputs for ${count}×${outputSize}`);
      return values;
    },
    dispose() {
      void session.release().catch(() => undefined);
    },
  };
}

async function writeAtomically(path: string, chunks: Uint8Array[]): Promise<void> {
  const dir = join(path, '..');
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, chunks);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
