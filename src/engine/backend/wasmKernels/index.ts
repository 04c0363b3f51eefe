// Training kernels tfjs-backend-wasm 4.22.0 lacks or runs as naive loops, registered for 'wasm':
//   Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput
//     — not registered at all (fit() throws "Kernel … not registered for backend 'wasm'");
//   Conv2DBackpropInput — registered, but a plain C++ loop (minutes for a VGG block-5 step);
//   BatchMatMul with a transposed operand (every Dense layer's backward pass) — a naive loop;
//   Tile — an index computation per element (BatchNorm's gradient tiles its scale to the activation);
//   Sum / Mean over leading axes — a full transpose first (BatchNorm reduces over N, H, W);
//   MaxPoolGrad — registered, but wrong: all-≤0 windows lose their gradient, ties go to the last max.
// Conv gradients are composed from wasm's own fast kernels (XNNPACK conv/matmul, C++ pad/slice/
// transpose; convGradients.ts); the depthwise filter gradient, Tile, leading-axis reductions and
// MaxPoolGrad are plain loops over the wasm heap (cheaper than any composition). All are pinned
// against the cpu backend (test/engine/finetune/wasmKernels.test.ts). This leans on tfjs 4.22.0's
// kernel registry and backend internals (TensorInfo, disposeData, the heap): the version is pinned
// for that.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGradient, conv2dInputGradient, depthwiseFilterGradient, depthwiseInputGradient } from './convGradients.js';
import { convGeometry } from './geometry.js';
import { withScope, type WasmHeapBackend } from './kernelScope.js';
import { maxPoolGradOnHeap } from './maxPoolGrad.js';
import { reduceLeadingAxes } from './reduce.js';
import { tileOnHeap } from './tile.js';

const BACKEND = 'wasm';

/** The kernels this module registers (or replaces) on the wasm backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'BatchMatMul',
  'Tile',
  'Sum',
  'Mean',
  'MaxPoolGrad',
] as const;

type Attrs = Record<string, unknown> & {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  dataFormat?: 'NHWC' | 'NCHW';
};

let originals: Map<string, KernelConfig> | undefined;

/**
 * Registers the training kernels on the wasm backend, once per process (later calls do nothing).
 * Call it after '@tensorflow/tfjs-backend-wasm' is loaded; it works before or after the backend
 * is activated. Replaced kernels keep their setup, and are still used where they are fine
 * (BatchMatMul without transposes) or for cases the composed version does not cover.
 */
export function registerWasmTrainingKernels(): void {
  if (originals) return;
  const saved = new Map<string, KernelConfig>();
  for (const name of ['BatchMatMul', 'Conv2DBackpropInput', 'Tile', 'Sum', 'Mean']) {
    const k = tf.getKernel(name, BACKEND);
    if (k) saved.set(name, k);
  }
  const matMul = saved.get('BatchMatMul');
  if (!matMul) throw new Error("The wasm backend's BatchMatMul kernel is missing: is @tensorflow/tfjs-backend-wasm 4.22.0 installed?");
  originals = saved;

  const kernelFor = (kernelName: string, kernelFunc: KernelFunc, base?: KernelConfig): KernelConfig => ({
    kernelName,
    backendName: BACKEND,
    kernelFunc,
    ...(base?.setupFunc ? { setupFunc: base.setupFunc } : {}),
    ...(base?.disposeFunc ? { disposeFunc: base.disposeFunc } : {}),
  });
  const scoped = (args: Parameters<KernelFunc>[0], body: Parameters<typeof withScope>[3]): TensorInfo =>
    withScope(args.backend as tf.KernelBackend, BACKEND, saved, body);

  const configs: KernelConfig[] = [
    kernelFor('Conv2DBackpropFilter', (args) => {
      const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
      const a = args.attrs as unknown as Attrs & { filterShape: number[] };
      const g = convGeometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, false, 1, a.dataFormat);
      return scoped(args, (s) => conv2dFilterGradient(s, x, dy, g));
    }),
    kernelFor(
      'Conv2DBackpropInput',
      (args) => {
        const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
        const a = args.attrs as unknown as Attrs & { inputShape: number[] };
        const native = saved.get('Conv2DBackpropInput');
        if (a.dataFormat === 'NCHW' && native) return native.kernelFunc(args); // not composed: the native loop
        const g = convGeometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, false, 1, a.dataFormat);
        return scoped(args, (s) => conv2dInputGradient(s, dy, filter, g));
      },
      saved.get('Conv2DBackpropInput'),
    ),
    kernelFor('DepthwiseConv2dNativeBackpropFilter', (args) => {
      const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
      const a = args.attrs as unknown as Attrs & { filterShape: number[] };
      const g = convGeometry(x.shape, a.filterShape, a.strides, a.pad, a.dimRoundingMode, true, a.dilations ?? 1);
      return depthwiseFilterGradient(args.backend as unknown as WasmHeapBackend, x, dy, g);
    }),
    kernelFor('DepthwiseConv2dNativeBackpropInput', (args) => {
      const { dy, filter } = args.inputs as { dy: TensorInfo; filter: TensorInfo };
      const a = args.attrs as unknown as Attrs & { inputShape: number[] };
      const g = convGeometry(a.inputShape, filter.shape, a.strides, a.pad, a.dimRoundingMode, true, a.dilations ?? 1);
      return scoped(args, (s) => depthwiseInputGradient(s, dy, filter, g));
    }),
    kernelFor(
      'BatchMatMul',
      (args) => {
        const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
        const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return matMul.kernelFunc(args);
        // Transpose explicitly (a fast C++ kernel), then the fast untransposed matmul.
        return scoped(args, (s) => {
          const swapLast = (t: TensorInfo) => {
            const perm = t.shape.map((_, i) => i);
            perm.splice(-2, 2, perm.length - 1, perm.length - 2);
            return s.transpose(t, perm);
          };
          return s.call('BatchMatMul', { a: transposeA ? swapLast(a) : a, b: transposeB ? swapLast(b) : b }, { transposeA: false, transposeB: false });
        });
      },
      matMul,
    ),
    kernelFor(
      'Tile',
      (args) => {
        const { x } = args.inputs as { x: TensorInfo };
        const { reps } = args.attrs as { reps: number[] };
        const native = saved.get('Tile');
        if (x.dtype === 'string' && native) return native.kernelFunc(args);
        return tileOnHeap(args.backend as unknown as WasmHeapBackend, x, reps);
      },
      saved.get('Tile'),
    ),
    ...(['Sum', 'Mean'] as const).map((name) =>
      kernelFor(
        name,
        (args) => {
          const { x } = args.inputs as { x: TensorInfo };
          const { axis, keepDims } = args.attrs as { axis: number | number[] | null; keepDims: boolean };
          const fast = reduceLeadingAxes(args.backend as unknown as WasmHeapBackend, x, axis, keepDims, name === 'Mean');
          return fast ?? saved.get(name)!.kernelFunc(args);
        },
        saved.get(name),
      ),
    ),
    kernelFor('MaxPoolGrad', (args) => {
      const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
      const a = args.attrs as unknown as Attrs & { filterSize: number | [number, number] };
      return maxPoolGradOnHeap(args.backend as unknown as WasmHeapBackend, dy, input, a.filterSize, a.strides, a.pad, a.dimRoundingMode);
    }),
  ];
  for (const config of configs) {
    if (tf.getKernel(config.kernelName, BACKEND)) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel(config);
  }
}

/** Whether registerWasmTrainingKernels has run in this process. */
export function wasmTrainingKernelsRegistered(): boolean {
  return originals !== undefined;
}
