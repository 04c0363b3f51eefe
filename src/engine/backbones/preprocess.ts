import * as tf from '@tensorflow/tfjs';

/**
 * How a backbone wants its RGB 0..255 input scaled — each pretrained network only gives useful
 * features on inputs scaled the way it was trained:
 * - `caffe`: Keras VGG16 (weights converted from Caffe): RGB → BGR, minus the ImageNet channel means.
 * - `tf`: Keras MobileNet v1/v2 and TF.js/Teachable Machine MobileNets: x / 127.5 − 1 (→ −1..1).
 * - `unit`: x / 255 (→ 0..1): the embedded nsfwjs MobileNetV2 was fine-tuned on this scaling
 *   (nsfwjs' own `infer` divides by 255).
 */
export type PreprocessKind = 'caffe' | 'tf' | 'unit';

/** ImageNet per-channel means, in BGR order, as Keras' `preprocess_input(mode='caffe')` subtracts them. */
export const CAFFE_BGR_MEANS = [103.939, 116.779, 123.68] as const;

/** Scales a batch of RGB 0..255 images ([n, h, w, 3]) for a backbone. Does not dispose its input. */
export function preprocess(kind: PreprocessKind, batch: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const x = batch.toFloat();
    switch (kind) {
      case 'caffe': {
        const bgr = tf.reverse(x, -1);
        return tf.sub(bgr, tf.tensor1d([...CAFFE_BGR_MEANS])) as tf.Tensor4D;
      }
      case 'tf':
        return tf.sub(tf.div(x, 127.5), 1) as tf.Tensor4D;
      case 'unit':
        return tf.div(x, 255) as tf.Tensor4D;
      default: {
        const never: never = kind;
        throw new Error(`unknown preprocessing ${String(never)}`);
      }
    }
  });
}
