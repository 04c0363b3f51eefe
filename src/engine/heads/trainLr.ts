import * as tf from '@tensorflow/tfjs';
import { runtimePreference } from '../inference/createRunner.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { sampleWeights } from './data.js';
import { minimizeLbfgs } from './lbfgs.js';
import { logisticObjective, logisticProba } from './logisticObjective.js';
import { logisticObjectiveOrt } from './logisticObjectiveOrt.js';
import { probaMetrics } from './metrics.js';
import type { EpochRecord, TrainArgs, TrainedHead } from './types.js';

/**
 * Fits sklearn's LogisticRegression() by L-BFGS from zeros and packs the solution into a
 * one-layer softmax model. Each L-BFGS iteration is reported as an "epoch".
 */
export async function trainLr({ x, y, numClasses: K, val, config, onEpoch, signal }: TrainArgs): Promise<TrainedHead> {
  const { dim, rows } = x;
  const sw = sampleWeights(y, K, config.classWeight);
  // With two classes sklearn fits one binomial vector v under 0.5/C ||v||^2. The softmax optimum is
  // symmetric (w1 = -w0 = v/2), whose penalty 0.5/C' * ||v||^2 / 2 matches that when C' = C / 2.
  const C = K === 2 ? config.C / 2 : config.C;
  const { objective, trainer, note, dispose } = await lrObjective(x, y, K, sw, C);

  let clock = performance.now();
  const history: EpochRecord[] = [];
  const result = await minimizeLbfgs(objective, new Float64Array(K * dim + K), {
    maxIter: config.maxIter,
    gtol: config.tol,
    onIteration: async (it, at, w) => {
      // Yield so an abort from a UI event or timer can land (one evaluation is ~0.2 s at full size).
      await new Promise<void>((resolve) => setImmediate(resolve));
      throwIfCancelled(signal);
      const now = performance.now();
      const rec: EpochRecord = {
        epoch: it,
        loss: at.extra.weightedCe / rows,
        accuracy: at.extra.correct / rows,
        seconds: (now - clock) / 1000,
      };
      if (val) {
        const m = probaMetrics(logisticProba(val.x, K, w), val.y, K);
        rec.valLoss = m.loss;
        rec.valAccuracy = m.accuracy;
      }
      clock = now;
      history.push(rec);
      onEpoch?.(rec);
    },
  }).finally(dispose);

  // Dense kernel is [dim, K]; the solver's layout is class-major [K, dim].
  const w = result.x;
  const kernel = new Float32Array(dim * K);
  for (let k = 0; k < K; k++) for (let j = 0; j < dim; j++) kernel[j * K + k] = w[k * dim + j]!;
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [dim], units: K, activation: 'softmax', kernelInitializer: 'zeros', name: 'probs' }),
    ],
  });
  tf.tidy(() => model.setWeights([tf.tensor2d(kernel, [dim, K]), tf.tensor1d(Float32Array.from(w.subarray(K * dim)))]));
  return { config, model, numClasses: K, dim, history, bestEpoch: null, stoppedEarly: false, trainer, ...(note ? { trainerNote: note } : {}) };
}

/**
 * The objective's evaluator: onnxruntime (float64 matrix products, threaded) unless tfjs-node is the
 * backend or FTTL_RUNTIME=tfjs; JavaScript when onnxruntime cannot run ('onnx' makes that an error).
 */
async function lrObjective(x: TrainArgs['x'], y: Int32Array, K: number, sw: Float64Array, C: number) {
  const js = { objective: logisticObjective(x, y, K, sw, C), trainer: 'javascript', dispose: () => undefined };
  const preference = runtimePreference(undefined);
  if (preference === 'tfjs' || (preference === 'auto' && tf.getBackend() === 'tensorflow')) return { ...js, note: undefined };
  try {
    const objective = await logisticObjectiveOrt(x, y, K, sw, C);
    return { objective, trainer: 'onnxruntime-cpu', note: undefined, dispose: objective.dispose };
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? String(err);
    if (preference === 'onnx') throw new FttlError('internal', `onnxruntime cannot fit the logistic regression: ${reason}`, { cause: err });
    return { ...js, note: reason };
  }
}
