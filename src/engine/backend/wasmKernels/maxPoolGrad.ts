import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import type { WasmHeapBackend } from './kernelScope.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/**
 * MaxPoolGrad (NHWC) as a loop over the wasm heap, with the cpu backend's semantics: each output
 * window's dy goes to the position of the window's maximum (the first one in row-major window
 * order on ties; NaNs never win, so a window of only −∞/NaN passes nothing), summed where windows
 * overlap.
 *
 * tfjs-backend-wasm 4.22's C++ kernel seeds its argmax with {FLT_MIN, offset 0} — the smallest
 * *positive* float, not −∞ — and compares with >=: a window whose values are all ≤ 0 (every
 * all-zero ReLU window, every all-negative one) sends its gradient to flat offset 0 (so it is
 * lost unless that window holds x[0]), and ties go to the last maximum instead of the first.
 *
 * One pass over the output: per output pixel, an argmax over the window for all channels at once
 * (the inner loop runs over contiguous channels), then a scatter-add of dy into dx.
 */
export function maxPoolGradOnHeap(
  backend: WasmHeapBackend,
  dy: TensorInfo,
  x: TensorInfo,
  filterSize: number | [number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): TensorInfo {
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sH, strideWidth: sW, effectiveFilterHeight: fH, effectiveFilterWidth: fW } = info;
  const { top, left } = info.padInfo;
  if (dy.shape.length !== 4 || dy.shape[0] !== N || dy.shape[1] !== OH || dy.shape[2] !== OW || dy.shape[3] !== C) {
    throw new Error(`MaxPoolGrad: dy has shape [${dy.shape}], the pooling gives [${info.outShape}]`);
  }
  const out = backend.makeOutput(x.shape, 'float32');
  // Views after makeOutput: allocating may grow (and detach) the heap.
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0); // heap memory is not zeroed
  if (C === 0) return out;
  const best = new Float64Array(C); // float64: exact for float32 and int32 inputs
  const pos = new Int32Array(C);
  for (let b = 0; b < N; b++) {
    for (let yR = 0; yR < OH; yR++) {
      const r0 = yR * sH - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + fH);
      for (let yC = 0; yC < OW; yC++) {
        const c0 = yC * sW - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + fW);
        best.fill(-Infinity);
        pos.fill(-1);
        for (let xR = rMin; xR < rMax; xR++) {
          for (let xC = cMin; xC < cMax; xC++) {
            const base = ((b * H + xR) * W + xC) * C;
            for (let d = 0; d < C; d++) {
              const v = xs[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                pos[d] = base + d;
              }
            }
          }
        }
        const o = ((b * OH + yR) * OW + yC) * C;
        for (let d = 0; d < C; d++) {
          const p = pos[d]!;
          if (p >= 0) dx[p]! += dys[o + d]!;
        }
      }
    }
  }
  return out;
}
