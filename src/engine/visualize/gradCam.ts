// Grad-CAM (Selvaraju et al., 2017): where in the image the evidence for a class is, seen from a conv layer.
import * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';
import { evaluateRest, forwardTo, locateLayer } from './graph.js';
import { checkInputSize, imageTensor, type ImageInput } from './image.js';
import { heatmapOverlay, resizeBilinear, type RasterImage } from './raster.js';

const CONV_CLASSES = new Set(['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose']);

function spatialShape(layer: tf.layers.Layer): (number | null)[] | undefined {
  try {
    const s = layer.outputShape as (number | null)[];
    return Array.isArray(s) && s.length === 4 && !Array.isArray(s[0]) ? s : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The layer Grad-CAM looks at by default: the last layer with a 4-D output at the resolution of the
 * model's last convolution — i.e. that convolution after its BatchNorm/activation (MobileNet v1:
 * conv_pw_13_relu, MobileNetV2: out_relu, VGG-16: block5_conv3 — not block5_pool, which halves the
 * resolution; convolutions on 1×1 maps, such as MobileNet's conv_preds classifier, do not count).
 * Nested models are looked into. Throws when the model has no convolution.
 */
export function lastConvLayer(model: tf.LayersModel): string {
  const flat: tf.layers.Layer[] = [];
  const visit = (c: tf.LayersModel) => c.layers.forEach((l) => (l instanceof tf.LayersModel ? visit(l) : flat.push(l)));
  visit(model);
  let lastConv = -1;
  flat.forEach((l, i) => {
    const s = spatialShape(l);
    // A 1×1 "conv" on pooled features (Keras MobileNet's conv_preds) is a classifier, not a map.
    if (CONV_CLASSES.has(l.getClassName()) && s && (s[1] ?? 2) * (s[2] ?? 2) > 1) lastConv = i;
  });
  if (lastConv < 0) throw new FttlError('bad-input', `${model.name} has no convolution layer for Grad-CAM.`);
  const [, h, w] = spatialShape(flat[lastConv]!)!;
  let chosen = lastConv;
  for (let i = lastConv + 1; i < flat.length; i++) {
    const s = spatialShape(flat[i]!);
    if (!s) continue;
    if (s[1] !== h || s[2] !== w) break;
    chosen = i;
  }
  return flat[chosen]!.name;
}

export interface GradCamOptions {
  /**
   * What is differentiated: 'logit' (default) — the class's pre-softmax score when the model ends in a
   * softmax (Dense or Activation), as in the paper and Keras' example; it falls back to the output when
   * there is no softmax to step over. 'output' — the model's output (the probability) as it is.
   */
  score?: 'logit' | 'output';
  /** Alpha of the overlay, 0..1 (default 0.5). */
  opacity?: number;
}

export interface GradCamResult {
  layer: string;
  /** The class explained. */
  classIndex: number;
  /** The model's arg-max class for this image. */
  predictedIndex: number;
  probabilities: number[];
  /** What was differentiated and its value ('logit' only when a final softmax was stepped over). */
  score: { kind: 'logit' | 'output'; value: number };
  /** Conv-layer resolution. */
  height: number;
  width: number;
  /**
   * ReLU(Σ_k α_k A_k), α_k = the spatial mean of ∂score/∂A_k, divided by its maximum: values in [0, 1],
   * row-major height × width. All 0 when nothing in the layer speaks for the class (rawMax = 0).
   */
  heatmap: Float32Array;
  /** The largest value before that division. */
  rawMax: number;
  /** Image (model input) resolution. */
  imageHeight: number;
  imageWidth: number;
  /** `heatmap` resized bilinearly (half-pixel centres) to the image: imageHeight × imageWidth, in [0, 1]. */
  upsampled: Float32Array;
  /** RGBA, imageHeight × imageWidth: the upsampled map in a jet colormap, constant alpha, to draw over the image. */
  overlay: RasterImage;
}

/**
 * Grad-CAM of `model` (one image → class probabilities) at `convLayerName` (default: lastConvLayer)
 * for `classIndex` (default: the predicted class). The model is split at the layer: the part up to
 * it runs once, the rest is differentiated (tf.valueAndGrad) with respect to the layer's output, so
 * any functional model works — a run's backbone + head (runModel), or an end-to-end fine-tuned
 * LayersModel; layers inside nested models can be named. RawImage inputs are scaled by their
 * `preprocess`; tensors are taken as the model's input as they are. Leaves no tensor behind.
 */
export async function gradCam(
  model: tf.LayersModel,
  convLayerName: string | undefined,
  image: ImageInput,
  classIndex?: number,
  opts: GradCamOptions = {},
): Promise<GradCamResult> {
  const layerName = convLayerName ?? lastConvLayer(model);
  const path = locateLayer(model, layerName);
  const x = imageTensor(image);
  let kept: tf.Tensor[];
  let scoreKind: 'logit' | 'output' = 'output';
  let target = -1;
  try {
    checkInputSize(model, x);
    kept = tf.tidy(() => {
      const { value: activation, caches } = forwardTo(path, [x]);
      if (activation.rank !== 4) {
        throw new FttlError('bad-input', `Layer "${layerName}" gives a [${activation.shape.join(', ')}] output; Grad-CAM needs a conv layer's feature maps.`);
      }
      const probs = evaluateRest(path, caches, activation).values[0]!;
      if (probs.rank !== 2 || probs.shape[0] !== 1) throw new FttlError('bad-input', `${model.name} must output one row of class scores, not [${probs.shape.join(', ')}].`);
      const k = probs.shape[1]!;
      target = classIndex ?? (tf.argMax(probs, 1).dataSync()[0] as number);
      if (!Number.isInteger(target) || target < 0 || target >= k) throw new FttlError('bad-input', `Class ${classIndex} is not one of the model's ${k} classes (0–${k - 1}).`);
      const wantLogit = (opts.score ?? 'logit') === 'logit';
      const f = (a: tf.Tensor): tf.Scalar => {
        const r = evaluateRest(path, caches, a, { logits: wantLogit });
        scoreKind = r.logits ? 'logit' : 'output';
        return tf.sum(tf.slice(r.values[0]!, [0, target], [1, 1])) as tf.Scalar;
      };
      const { value, grad } = tf.valueAndGrad(f)(activation);
      const alpha = tf.mean(grad, [0, 1, 2]); // [channels]
      const cam = tf.relu(tf.sum(tf.mul(activation, alpha), -1)).squeeze([0]); // [h, w]
      return [cam, probs, value];
    });
  } finally {
    x.dispose();
  }
  const [camT, probsT, valueT] = kept;
  let cam: Float32Array;
  let probabilities: number[];
  let scoreValue: number;
  try {
    cam = (await camT!.data()) as Float32Array;
    probabilities = Array.from(await probsT!.data());
    scoreValue = (await valueT!.data())[0]!;
  } finally {
    kept.forEach((t) => t.dispose());
  }
  const [h, w] = camT!.shape as [number, number];
  let rawMax = 0;
  for (const v of cam) if (v > rawMax) rawMax = v;
  const heatmap = new Float32Array(cam.length);
  if (rawMax > 0 && Number.isFinite(rawMax)) for (let i = 0; i < cam.length; i++) heatmap[i] = cam[i]! / rawMax;
  const imageHeight = x.shape[1];
  const imageWidth = x.shape[2];
  const upsampled = resizeBilinear(heatmap, h, w, imageHeight, imageWidth);
  let predictedIndex = 0;
  probabilities.forEach((p, i) => {
    if (p > probabilities[predictedIndex]!) predictedIndex = i;
  });
  return {
    layer: layerName,
    classIndex: target,
    predictedIndex,
    probabilities,
    score: { kind: scoreKind, value: scoreValue },
    height: h,
    width: w,
    heatmap,
    rawMax,
    imageHeight,
    imageWidth,
    upsampled,
    overlay: heatmapOverlay(upsampled, imageHeight, imageWidth, opts.opacity ?? 0.5),
  };
}
