import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './kernelScope.js';

/**
 * Sum / Mean over the leading axes of a float32 tensor ([R, L] → [L]), as column sums over the wasm
 * heap accumulated in float64. BatchNorm reduces [N, H, W, C] over N, H, W in training and in its
 * gradient; wasm 4.22 transposes the whole tensor to make those axes innermost first, which costs
 * more than the reduction. Returns undefined when `axes` are not exactly 0..k−1 (the caller then
 * uses the native kernel, fine for trailing axes).
 */
export function reduceLeadingAxes(
  backend: WasmHeapBackend,
  x: TensorInfo,
  axis: number | number[] | null | undefined,
  keepDims: boolean,
  mean: boolean,
): TensorInfo | undefined {
  if (axis == null) return undefined; // all axes: the native kernel needs no transpose
  const rank = x.shape.length;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (x.dtype !== 'float32' || axes.length === 0 || axes.length === rank || axes.some((a, i) => a !== i)) return undefined;
  const k = axes.length;
  const R = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
  const L = x.shape.slice(k).reduce((p, d) => p * d, 1);
  if (R === 0 || L === 0) return undefined;
  const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
  const out = backend.makeOutput(outShape, 'float32');
  const xs = backend.typedArrayFromHeap(x); // after makeOutput: allocating may move the heap
  const acc = new Float64Array(L);
  for (let r = 0; r < R; r++) {
    const off = r * L;
    for (let j = 0; j < L; j++) acc[j]! += xs[off + j]!;
  }
  if (mean) for (let j = 0; j < L; j++) acc[j]! /= R;
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}
