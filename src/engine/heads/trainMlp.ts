import { createTrainingEngine, type TrainingEngine } from '../training/engine.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { gatherRows, sampleWeights } from './data.js';
import { probaMetrics } from './metrics.js';
import { buildMlp, forwardTrain, optimizerSpec } from './mlpModel.js';
import type { EpochRecord, TrainArgs, TrainedHead } from './types.js';

/**
 * Keras-style minibatch training written out by hand, because tfjs's fit() shuffles with
 * Math.random, has no sample weights and cannot be cancelled between batches. Per epoch: a seeded
 * shuffle, batches of weighted categorical cross-entropy (mean over the batch, as Keras with
 * class_weight), then validation loss for early stopping. Steps run on the training engine
 * (onnxruntime where it can, else tfjs); the returned model holds the kept weights.
 */
export async function trainMlp({ x, y, numClasses: K, val, config, onEpoch, signal }: TrainArgs): Promise<TrainedHead> {
  if (config.earlyStopping && !val) {
    throw new FttlError('bad-input', 'Early stopping needs a validation set to watch; none was given.');
  }
  const rng = new Rng(config.seed);
  const model = buildMlp(config, x.dim, K, rng);
  const sw = sampleWeights(y, K, config.classWeight);
  const order = Array.from({ length: x.rows }, (_, i) => i);
  const history: EpochRecord[] = [];
  let best: { loss: number; epoch: number; weights: Float32Array[] } | null = null;
  let stoppedEarly = false;
  let engine: TrainingEngine;
  try {
    engine = await createTrainingEngine({ model, optimizer: optimizerSpec(config), bnTraining: () => true, tfjsForward: (xt, seed) => forwardTrain(model, xt, seed) });
  } catch (err) {
    model.dispose();
    throw err;
  }
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
        const rows = order.slice(start, end);
        const step = await engine.step({
          xs: gatherRows(x, order, start, end),
          count: end - start,
          labels: Int32Array.from(rows, (r) => y[r]!),
          weights: Float32Array.from(rows, (r) => sw[r]!),
          dropoutSeed: rng.seed(),
        });
        lossSum += step.loss * (end - start);
        correct += step.correct;
      }
      const rec: EpochRecord = { epoch, loss: lossSum / x.rows, accuracy: correct / x.rows, seconds: 0 };
      if (val) {
        const m = probaMetrics(await engine.predict(val.x.data, val.x.rows), val.y, K);
        rec.valLoss = m.loss;
        rec.valAccuracy = m.accuracy;
      }
      rec.seconds = (performance.now() - t0) / 1000;
      history.push(rec);
      onEpoch?.(rec);

      if (config.earlyStopping && rec.valLoss !== undefined) {
        // Keras EarlyStopping(monitor='val_loss', restore_best_weights=True), min_delta 0.
        if (!best || rec.valLoss < best.loss) {
          best = { loss: rec.valLoss, epoch, weights: engine.snapshot() };
        } else if (epoch - best.epoch >= config.earlyStopping.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
    // Restore the best epoch even when patience never ran out (old Keras did not; that was a trap).
    if (best) engine.restore(best.weights);
    else engine.commit();
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    engine.dispose();
  }
  return { config, model, numClasses: K, dim: x.dim, history, bestEpoch: best?.epoch ?? null, stoppedEarly, trainer: engine.name, ...(engine.fallbackReason ? { trainerNote: engine.fallbackReason } : {}) };
}
