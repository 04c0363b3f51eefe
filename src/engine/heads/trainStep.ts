import * as tf from '@tensorflow/tfjs';
import { PROB_EPSILON } from './metrics.js';

/**
 * One optimiser step on a batch: sample-weighted categorical cross-entropy averaged over the batch
 * (as Keras with class_weight), minimised over `vars`. `forward` maps the batch to class
 * probabilities in training mode. Returns the batch's loss and how many it got right, the
 * accuracy from the same (training-mode) pass, as Keras reports it.
 */
export function weightedCrossEntropyStep(
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  xs: Float32Array,
  shape: number[],
  labels: Int32Array,
  weights: Float32Array,
  K: number,
  forward: (x: tf.Tensor) => tf.Tensor,
): { loss: number; correct: number } {
  const n = labels.length;
  let correctT: tf.Tensor | undefined;
  const lossT = tf.tidy(() => {
    const x = tf.tensor(xs, shape);
    const ys = tf.tensor1d(labels, 'int32');
    const oneHot = tf.oneHot(ys, K);
    const ws = tf.tensor1d(weights);
    return optimizer.minimize(
      () => {
        const probs = forward(x);
        // Kept past minimize's tidy.
        correctT = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, 1), ys), 'float32')));
        const ce = tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, PROB_EPSILON, 1 - PROB_EPSILON))), 1));
        return tf.div(tf.sum(tf.mul(ce, ws)), n) as tf.Scalar;
      },
      true,
      vars,
    )!;
  });
  const loss = lossT.dataSync()[0]!;
  const correct = correctT!.dataSync()[0]!;
  lossT.dispose();
  correctT!.dispose();
  return { loss, correct };
}
