import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** The parts of tfjs-backend-wasm 4.22's BackendWasm that kernels working on its heap use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view of the tensor's memory on the wasm heap (invalidated when the heap grows). */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Pair = [number, number];

/**
 * Calls a backend's own kernels on TensorInfos, as backends compose kernels internally (no engine,
 * no tape, no tensor tracking): every intermediate is remembered and freed by `dispose()`, except
 * the one handed back with `keep()`. `kernels` overrides the registry for some names (the original
 * kernels a wrapper replaced, so a wrapper never calls itself).
 */
export class KernelScope {
  private readonly temps: TensorInfo[] = [];

  constructor(
    readonly backend: KernelBackend,
    readonly backendName: string,
    private readonly kernels: ReadonlyMap<string, tf.KernelConfig> = new Map(),
  ) {}

  call(kernelName: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = this.kernels.get(kernelName) ?? tf.getKernel(kernelName, this.backendName);
    if (!kernel) throw new Error(`Kernel '${kernelName}' not registered for backend '${this.backendName}'`);
    const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`Kernel '${kernelName}' returned several outputs`);
    this.temps.push(out);
    return out;
  }

  /** Takes `info` out of the temporaries (the kernel's result). */
  keep(info: TensorInfo): TensorInfo {
    const i = this.temps.indexOf(info);
    if (i >= 0) this.temps.splice(i, 1);
    return info;
  }

  /** Frees every intermediate (each kernel output owns one reference to its data). */
  dispose(): void {
    for (const t of this.temps.splice(0)) this.backend.disposeData(t.dataId);
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.call('Reshape', { x }, { shape });
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.call('Transpose', { x }, { perm });
  }

  pad(x: TensorInfo, paddings: Pair[]): TensorInfo {
    return this.call('PadV2', { x }, { paddings, constantValue: 0 });
  }

  /** x[begin : end : strides] on every axis (no masks). */
  stridedSlice(x: TensorInfo, begin: number[], end: number[], strides: number[]): TensorInfo {
    if (strides.every((s) => s === 1)) {
      return this.call('Slice', { x }, { begin, size: end.map((e, i) => e - begin[i]!) });
    }
    return this.call(
      'StridedSlice',
      { x },
      { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 },
    );
  }

  /** Rank-3 batch matmul without transposes ([b, m, k] × [b, k, n]). */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.call('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  conv2d(x: TensorInfo, filter: TensorInfo, strides: Pair, pad: [Pair, Pair]): TensorInfo {
    return this.call(
      'Conv2D',
      { x, filter },
      { strides, pad: [[0, 0], pad[0], pad[1], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
    );
  }

  depthwiseConv2d(x: TensorInfo, filter: TensorInfo, strides: Pair, pad: [Pair, Pair]): TensorInfo {
    return this.call(
      'DepthwiseConv2dNative',
      { x, filter },
      { strides, pad: [[0, 0], pad[0], pad[1], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] },
    );
  }

  reverse(x: TensorInfo, dims: number[]): TensorInfo {
    return this.call('Reverse', { x }, { dims });
  }

  concat(xs: TensorInfo[], axis: number): TensorInfo {
    return this.call('Concat', xs, { axis });
  }

  multiply(a: TensorInfo, b: TensorInfo): TensorInfo {
    return this.call('Multiply', { a, b });
  }

  sum(x: TensorInfo, axis: number[]): TensorInfo {
    return this.call('Sum', { x }, { axis, keepDims: false });
  }
}

/**
 * Runs `body` with a fresh scope; the TensorInfo it returns is the kernel's output and survives,
 * everything else is freed (also when `body` throws).
 */
export function withScope(
  backend: KernelBackend,
  backendName: string,
  kernels: ReadonlyMap<string, tf.KernelConfig>,
  body: (s: KernelScope) => TensorInfo,
): TensorInfo {
  const scope = new KernelScope(backend, backendName, kernels);
  try {
    return scope.keep(body(scope));
  } finally {
    scope.dispose();
  }
}
