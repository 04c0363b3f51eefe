// Convolution gradients for the wasm backend, composed from its fast kernels (XNNPACK conv2d and
// matmul, C++ pad / strided slice / transpose) — the depthwise filter gradient excepted, a loop over
// the heap. Only what tfjs's own gradient functions call:
// NHWC, dilation 1. Shapes follow TensorFlow's definitions exactly (same padding computation as the
// forward pass), which the tests pin against the cpu backend.
import type { TensorInfo } from '@tensorflow/tfjs';
import type { ConvGeometry } from './geometry.js';
import type { KernelScope, WasmHeapBackend } from './kernelScope.js';

/**
 * x zero-padded so that every filter tap's strided window lies inside it:
 * tap (kh, kw) reads rows kh, kh + s, …, kh + (outH − 1)s of the padded input.
 */
function padForTaps(s: KernelScope, x: TensorInfo, g: ConvGeometry): TensorInfo {
  const bottom = Math.max(0, (g.outH - 1) * g.strideH + g.kH - g.inH - g.padTop);
  const right = Math.max(0, (g.outW - 1) * g.strideW + g.kW - g.inW - g.padLeft);
  if (g.padTop === 0 && g.padLeft === 0 && bottom === 0 && right === 0) return x;
  return s.pad(x, [
    [0, 0],
    [g.padTop, bottom],
    [g.padLeft, right],
    [0, 0],
  ]);
}

/** The input values filter tap (kh, kw) multiplies, as [batch, outH, outW, channels]. */
function tap(s: KernelScope, xp: TensorInfo, g: ConvGeometry, kh: number, kw: number): TensorInfo {
  const [n, h, w, c] = xp.shape as [number, number, number, number];
  const endH = kh + (g.outH - 1) * g.strideH + 1;
  const endW = kw + (g.outW - 1) * g.strideW + 1;
  if (kh === 0 && kw === 0 && endH === h && endW === w && g.strideH === 1 && g.strideW === 1) return xp;
  return s.stridedSlice(xp, [0, kh, kw, 0], [n, endH, endW, c], [1, g.strideH, g.strideW, 1]);
}

/**
 * dL/dW of conv2d: dW[kh, kw, ci, co] = Σ_{n, oh, ow} x_pad[n, oh·s + kh, ow·s + kw, ci] · dy[n, oh, ow, co].
 * One transpose of dy ([P, co] → [co, P], P = batch·outH·outW), then per tap a plain matmul
 * [co, P] × [P, ci] (wasm's matmul is fast only without transposed operands), then one small
 * transpose to [kh, kw, ci, co].
 */
export function conv2dFilterGradient(s: KernelScope, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const P = g.batch * g.outH * g.outW;
  const dyT = s.reshape(s.transpose(s.reshape(dy, [P, g.outC]), [1, 0]), [1, g.outC, P]);
  const xp = padForTaps(s, x, g);
  const parts: TensorInfo[] = [];
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < g.kW; kw++) {
      const t = s.reshape(tap(s, xp, g, kh, kw), [1, P, g.inC]);
      parts.push(s.matMul(dyT, t)); // [1, co, ci]
    }
  }
  const stacked = parts.length === 1 ? parts[0]! : s.concat(parts, 0); // [kH·kW, co, ci]
  return s.reshape(s.transpose(stacked, [0, 2, 1]), [g.kH, g.kW, g.inC, g.outC]);
}

/**
 * dL/dW of a depthwise conv with channel multiplier M:
 * dW[kh, kw, c, m] = Σ_{n, oh, ow} x[n, oh·s + kh − padTop, ow·s + kw − padLeft, c] · dy[n, oh, ow, c·M + m].
 * A plain loop over the wasm heap (NHWC rows are contiguous per position), accumulated in float64:
 * only kH·kW·C·M outputs, so composing it from kernels (a product and a reduction per tap) costs
 * far more in temporaries than the ~P·kH·kW·C multiply-adds themselves.
 */
export function depthwiseFilterGradient(backend: WasmHeapBackend, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const C = g.inC;
  const CM = g.outC;
  const M = CM / C;
  const out = backend.makeOutput([g.kH, g.kW, C, M], 'float32');
  // Heap views after makeOutput: allocating may grow (and detach) the heap.
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const acc = new Float64Array(g.kH * g.kW * CM);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) {
        const dyOff = ((n * g.outH + oh) * g.outW + ow) * CM;
        for (let kh = 0; kh < g.kH; kh++) {
          const ih = oh * g.strideH + kh - g.padTop;
          if (ih < 0 || ih >= g.inH) continue;
          for (let kw = 0; kw < g.kW; kw++) {
            const iw = ow * g.strideW + kw - g.padLeft;
            if (iw < 0 || iw >= g.inW) continue;
            const xOff = ((n * g.inH + ih) * g.inW + iw) * C;
            const aOff = (kh * g.kW + kw) * CM;
            if (M === 1) {
              for (let c = 0; c < C; c++) acc[aOff + c]! += xs[xOff + c]! * dys[dyOff + c]!;
            } else {
              for (let c = 0; c < C; c++) {
                const xv = xs[xOff + c]!;
                for (let m = 0; m < M; m++) acc[aOff + c * M + m]! += xv * dys[dyOff + c * M + m]!;
              }
            }
          }
        }
      }
    }
  }
  backend.typedArrayFromHeap(out).set(acc);
  return out;
}

/**
 * dL/dx of a strided conv as a stride-1 conv of the stride-dilated dy with the flipped filter:
 * dx[n, i, j, :] = Σ_{kh, kw} dy_dil[n, i + kh − (kH − 1 − padTop), j + kw − …, :] · W_flip[kh, kw].
 * `convolve(dyDilated, pads)` runs that stride-1 conv (conv2d or depthwise) with explicit padding;
 * padding the conv would need to be negative is done by cropping its result instead.
 */
function inputGradient(
  s: KernelScope,
  dy: TensorInfo,
  g: ConvGeometry,
  channels: number,
  convolve: (dyDilated: TensorInfo, pads: [[number, number], [number, number]]) => TensorInfo,
): TensorInfo {
  const { strideH: sh, strideW: sw } = g;
  // Dilate: [n, oh, 1, ow, 1, c] padded to [n, oh, sh, ow, sw, c] → [n, oh·sh, ow·sw, c]. Real values sit at
  // multiples of the stride; the rows after the last one (sh − 1 of them) are zeros like bottom padding.
  let dyd = dy;
  if (sh > 1 || sw > 1) {
    const six = s.reshape(dy, [g.batch, g.outH, 1, g.outW, 1, channels]);
    const padded = s.pad(six, [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    dyd = s.reshape(padded, [g.batch, g.outH * sh, g.outW * sw, channels]);
  }
  const axis = (k: number, inSize: number, outSize: number, stride: number, padBefore: number) => {
    const dilated = (outSize - 1) * stride + 1; // rows of dy_dil that can be non-zero
    const present = outSize * stride; // rows dyd really has (the rest are implicit zeros)
    const before = k - 1 - padBefore; // virtual padding so the stride-1 conv yields inSize rows
    const after = inSize - dilated - before + k - 1;
    const padBeforeReal = Math.max(0, before);
    const padAfterReal = Math.max(0, after - (present - dilated));
    const rows = present + padBeforeReal + padAfterReal - k + 1;
    return { pads: [padBeforeReal, padAfterReal] as [number, number], crop: Math.max(0, -before), rows };
  };
  const ah = axis(g.kH, g.inH, g.outH, sh, g.padTop);
  const aw = axis(g.kW, g.inW, g.outW, sw, g.padLeft);
  const out = convolve(dyd, [ah.pads, aw.pads]);
  if (ah.crop === 0 && aw.crop === 0 && ah.rows === g.inH && aw.rows === g.inW) return out;
  const c = out.shape[3]!;
  return s.stridedSlice(out, [0, ah.crop, aw.crop, 0], [g.batch, ah.crop + g.inH, aw.crop + g.inW, c], [1, 1, 1, 1]);
}

/** dL/dx of conv2d: the dilated dy convolved with W flipped in space, in/out channels swapped. */
export function conv2dInputGradient(s: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const flipped = s.transpose(s.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [kH, kW, co, ci]
  return inputGradient(s, dy, g, g.outC, (dyd, pads) => s.conv2d(dyd, flipped, [1, 1], pads));
}

/**
 * dL/dx of a depthwise conv: a depthwise conv over the C·M channels of the dilated dy with the
 * flipped filter, then (M > 1) the M products of each input channel summed.
 */
export function depthwiseInputGradient(s: KernelScope, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const C = g.inC;
  const M = g.outC / C;
  const flipped = s.reshape(s.reverse(filter, [0, 1]), [g.kH, g.kW, C * M, 1]);
  const dx = inputGradient(s, dy, g, C * M, (dyd, pads) => s.depthwiseConv2d(dyd, flipped, [1, 1], pads));
  if (M === 1) return dx;
  return s.sum(s.reshape(dx, [g.batch, g.inH, g.inW, C, M]), [4]);
}
