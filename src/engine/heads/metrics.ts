/** Keras clips probabilities to [eps, 1 - eps] before the log; the same here so losses compare. */
export const PROB_EPSILON = 1e-7;

/** Mean cross-entropy and accuracy of row-major probabilities against labels. */
export function probaMetrics(proba: ArrayLike<number>, y: Int32Array, numClasses: number): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < y.length; i++) {
    const off = i * numClasses;
    let best = 0;
    for (let k = 1; k < numClasses; k++) if (proba[off + k]! > proba[off + best]!) best = k;
    if (best === y[i]) correct++;
    const p = Math.min(Math.max(proba[off + y[i]!]!, PROB_EPSILON), 1 - PROB_EPSILON);
    loss -= Math.log(p);
  }
  return { loss: loss / y.length, accuracy: correct / y.length };
}
