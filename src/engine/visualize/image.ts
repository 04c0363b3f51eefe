import * as tf from '@tensorflow/tfjs';
import { preprocess, type PreprocessKind } from '../backbones/preprocess.js';
import { decodeImage, type ResizeMode } from '../data/decodeImage.js';
import { FttlError } from '../util/errors.js';

/** RGB pixels 0..255, row-major HWC (what decodeImage returns), and how the model wants them scaled. */
export interface RawImage {
  pixels: Float32Array | Uint8Array;
  height: number;
  width: number;
  /** Scaling applied before the model sees the pixels (absent: fed as they are). */
  preprocess?: PreprocessKind;
}

/**
 * One image for a model: a RawImage (scaled here by its `preprocess`), or a tensor that is already
 * what the model takes — [h, w, c] or [1, h, w, c], scaled — which is never disposed here.
 */
export type ImageInput = RawImage | tf.Tensor3D | tf.Tensor4D;

/** Decodes an image file at size × size (decodeImage: EXIF-rotated, resized per `resizeMode`). */
export async function loadImage(path: string, size: number, opts: { resizeMode?: ResizeMode; preprocess?: PreprocessKind } = {}): Promise<RawImage> {
  const pixels = await decodeImage(path, size, opts.resizeMode ?? 'stretch');
  const image: RawImage = { pixels, height: size, width: size };
  if (opts.preprocess) image.preprocess = opts.preprocess;
  return image;
}

/** The model-ready [1, h, w, c] tensor of an image (a new tensor: the caller disposes it). */
export function imageTensor(image: ImageInput): tf.Tensor4D {
  if (image instanceof tf.Tensor) {
    if (image.rank === 3) return tf.expandDims(image, 0) as tf.Tensor4D;
    if (image.rank === 4 && image.shape[0] === 1) return tf.clone(image) as tf.Tensor4D;
    throw new FttlError('bad-input', `Expected one image as a [h, w, c] or [1, h, w, c] tensor, got shape [${image.shape.join(', ')}].`);
  }
  const { pixels, height, width } = image;
  if (pixels.length !== height * width * 3) {
    throw new FttlError('bad-input', `An RGB image of ${height}×${width} has ${height * width * 3} values, not ${pixels.length}.`);
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels instanceof Float32Array ? pixels : Float32Array.from(pixels), [1, height, width, 3]);
    return image.preprocess ? preprocess(image.preprocess, x) : x;
  });
}

/** Checks an image's size against the model's input shape (when the model fixes one). */
export function checkInputSize(model: tf.LayersModel, x: tf.Tensor4D): void {
  const shape = model.inputs[0]?.shape ?? [];
  const [, h, w, c] = shape;
  const bad = (typeof h === 'number' && h !== x.shape[1]) || (typeof w === 'number' && w !== x.shape[2]) || (typeof c === 'number' && c !== x.shape[3]);
  if (bad) {
    throw new FttlError('bad-input', `${model.name} takes [${shape.map((d) => d ?? '?').join(', ')}] images; this one is [${x.shape.join(', ')}].`);
  }
}
