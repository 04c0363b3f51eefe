import * as tf from '@tensorflow/tfjs';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { gatherRows, sampleWeights } from './data.js';
import { probaMetrics } from './metrics.js';
import { buildMlp, forwardTrain, makeOptimizer } from './mlpModel.js';
import { predictProba } from './predict.js';
import { weightedCrossEntropyStep } from './trainStep.js';
import type { EpochRecord, TrainArgs, TrainedHead } from './types.js';

/**
 * Keras-style minibatch training written out by hand, because tfjs's fit() shuffles with
 * Math.random, has no sample weights and cannot be cancelled between batches. Per epoch: a seeded
 * shuffle, batches of weighted categorical cross-entropy (mean over the batch, as Keras with
 * class_weight), then validation loss for early stopping.
 */
export async function trainMlp({ x, y, numClasses: K, val, config, onEpoch, signal }: TrainArgs): Promise<TrainedHead> {
  if (config.earlyStopping && !val) {
    throw new FttlError('bad-input', 'Early stopping needs a validation set to watch; none was given.');
  }
  const rng = new Rng(config.seed);
  const model = buildMlp(config, x.dim, K, rng);
  const optimizer = makeOptimizer(config);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sw = sampleWeights(y, K, config.classWeight);
  const order = Array.from({ length: x.rows }, (_, i) => i);
  const history: EpochRecord[] = [];
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | null = null;
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const t0 = performance.now();
      rng.shuffle(order);
      let lossSum = 0;
      let correct = 0;
      for (let start = 0; start < x.rows; start += config.batchSize) {
        // Yield so an abort from a UI event or timer can land, then honour it between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
        throwIfCancelled(signal);
        const end = Math.min(start + config.batchSize, x.rows);
        const step = trainStep(model, optimizer, vars, x.dim, K, gatherRows(x, order, start, end), order, start, end, y, sw, rng.seed());
        lossSum += step.loss * (end - start);
        correct += step.correct;
      }
      const rec: EpochRecord = { epoch, loss: lossSum / x.rows, accuracy: correct / x.rows, seconds: 0 };
      if (val) {
        const m = probaMetrics(predictProba(model, val.x), val.y, K);
        rec.valLoss = m.loss;
        rec.valAccuracy = m.accuracy;
      }
      rec.seconds = (performance.now() - t0) / 1000;
      history.push(rec);
      onEpoch?.(rec);

      if (config.earlyStopping && rec.valLoss !== undefined) {
        // Keras EarlyStopping(monitor='val_loss', restore_best_weights=True), min_delta 0.
        if (!best || rec.valLoss < best.loss) {
          best?.weights.forEach((t) => t.dispose());
          best = { loss: rec.valLoss, epoch, weights: model.getWeights().map((t) => t.clone()) };
        } else if (epoch - best.epoch >= config.earlyStopping.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
    // Restore the best epoch even when patience never ran out (old Keras did not; that was a trap).
    if (best) model.setWeights(best.weights);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    best?.weights.forEach((t) => t.dispose());
    optimizer.dispose();
  }
  return { config, model, numClasses: K, dim: x.dim, history, bestEpoch: best?.epoch ?? null, stoppedEarly };
}

function trainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  dim: number,
  K: number,
  batch: Float32Array,
  order: number[],
  start: number,
  end: number,
  y: Int32Array,
  sw: Float64Array,
  dropoutSeed: number,
): { loss: number; correct: number } {
  const n = end - start;
  const labels = new Int32Array(n);
  const weights = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    labels[r] = y[order[start + r]!]!;
    weights[r] = sw[order[start + r]!]!;
  }
  return weightedCrossEntropyStep(optimizer, vars, batch, [n, dim], labels, weights, K, (x) => forwardTrain(model, x, dropoutSeed));
}
