import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './kernelScope.js';

/**
 * Tile by block copies on the wasm heap. tfjs's BatchNorm gradient tiles the per-channel scale to
 * the full activation shape ([1, 1, 1, C] × [N, H, W, 1]) — wasm 4.22's C++ Tile computes an index
 * per element (~90 ms for 1.2 M values, more than the conv it belongs to). Here axes are tiled
 * from the innermost out: along axis a, each contiguous chunk (the axis and everything inside it)
 * is copied reps[a] times, so the work is a few memcpy-like copies per outer index.
 */
export function tileOnHeap(backend: WasmHeapBackend, x: TensorInfo, reps: number[]): TensorInfo {
  const rank = x.shape.length;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = backend.makeOutput(outShape, x.dtype);
  // Views after makeOutput: allocating may grow (and detach) the heap.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const total = outShape.reduce((a, d) => a * d, 1);
  if (total === 0) return out;
  dst.set(src.subarray(0, src.length), 0);
  // shape[i] of the data laid out in dst so far: x's dims for axes not yet tiled, tiled dims inside.
  const cur = [...x.shape];
  for (let a = rank - 1; a >= 0; a--) {
    const r = reps[a]!;
    if (r === 1) continue;
    const outer = cur.slice(0, a).reduce((p, d) => p * d, 1);
    const chunk = cur.slice(a).reduce((p, d) => p * d, 1);
    // Expand in place from the back so no chunk is overwritten before it is copied.
    for (let o = outer - 1; o >= 0; o--) {
      const from = o * chunk;
      const to = o * chunk * r;
      for (let k = r - 1; k >= 0; k--) dst.copyWithin(to + k * chunk, from, from + chunk);
    }
    cur[a] = cur[a]! * r;
  }
  return out;
}
