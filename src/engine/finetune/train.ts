import * as tf from '@tensorflow/tfjs';
import { sampleWeights } from '../heads/data.js';
import { probaMetrics } from '../heads/metrics.js';
import { weightedCrossEntropyStep } from '../heads/trainStep.js';
import type { EpochRecord } from '../heads/index.js';
import { FttlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { deriveSeed } from '../data/deriveSeed.js';
import type { FinetuneConfig } from './config.js';
import { forwardTrain, type FinetuneNetwork } from './network.js';
import type { BatchLoader } from './prefixData.js';

export interface SplitData {
  labels: Int32Array;
  load: BatchLoader;
}

/** Per epoch: training images per second (loading included, validation excluded). */
export type Throughput = number[];

export interface FinetuneTrainArgs {
  net: FinetuneNetwork;
  config: FinetuneConfig;
  train: SplitData;
  /** Watched for the best epoch (by its loss); without it the training loss is watched. */
  val?: SplitData;
  /** Called whenever an epoch beats the best monitored loss, with the network holding that epoch's weights. */
  onBest?: (epoch: EpochRecord) => Promise<void>;
  /** Called after each epoch (after onBest). */
  onEpoch?: (epoch: EpochRecord, imagesPerSecond: number) => void;
  onBatch?: (epoch: number, batch: number, batches: number) => void;
  signal?: AbortSignal;
}

export interface FinetuneTrainResult {
  history: EpochRecord[];
  /** Epoch whose weights the network holds at the end (the best by the monitored loss); null if none finished. */
  bestEpoch: number | null;
  monitor: 'val_loss' | 'loss';
  imagesPerSecond: Throughput;
  /** True when the signal stopped training; the network then holds the best finished epoch's weights. */
  cancelled: boolean;
}

/** The optimiser of the config (Keras SGD(momentum) = tf.train.momentum for a constant learning rate). */
export function makeOptimizer(config: FinetuneConfig): tf.Optimizer {
  if (config.optimizer === 'adam') return tf.train.adam(config.learningRate, 0.9, 0.999, 1e-7);
  return config.momentum > 0 ? tf.train.momentum(config.learningRate, config.momentum, false) : tf.train.sgd(config.learningRate);
}

/**
 * Mini-batch training of the unfrozen block + head on streamed prefix outputs: a seeded shuffle
 * per epoch, (class-weighted) categorical cross-entropy averaged over the batch, the optimiser's
 * step on the trainable weights only, then the validation loss. The best epoch's weights are kept
 * (in memory, and through `onBest` on disk) and restored at the end, also when cancelled. The
 * next batch is read from disk while the current one trains.
 */
export async function trainFinetune(args: FinetuneTrainArgs): Promise<FinetuneTrainResult> {
  const { net, config, train, val, signal } = args;
  const K = net.numClasses;
  const n = train.labels.length;
  if (n === 0) throw new FttlError('bad-input', 'The training split has no usable image.');
  const rng = new Rng(deriveSeed(config.seed, 'finetune'));
  const optimizer = makeOptimizer(config);
  const vars = net.model.trainableWeights.map((w) => w.read() as tf.Variable);
  const sw = sampleWeights(train.labels, K, config.classWeight);
  const order = Array.from({ length: n }, (_, i) => i);
  const cutShape = net.plan.cutShape;
  const batches = Math.ceil(n / config.batchSize);
  const history: EpochRecord[] = [];
  const imagesPerSecond: Throughput = [];
  const monitor = val && val.labels.length > 0 ? 'val_loss' : 'loss';
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | null = null;
  let cancelled = false;

  try {
    for (let epoch = 1; epoch <= config.epochs && !cancelled; epoch++) {
      const t0 = performance.now();
      rng.shuffle(order);
      const batchOf = (b: number) => order.slice(b * config.batchSize, Math.min(n, (b + 1) * config.batchSize));
      let pending: Promise<Float32Array> | undefined = train.load(batchOf(0), epoch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const idx = batchOf(b);
        const xs = await pending!;
        pending = b + 1 < batches ? train.load(batchOf(b + 1), epoch) : undefined;
        // Yield so an abort from a UI event or timer can land, then honour it between batches.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (signal?.aborted) {
          cancelled = true;
          await pending?.catch(() => undefined);
          break;
        }
        const labels = Int32Array.from(idx, (i) => train.labels[i]!);
        const weights = Float32Array.from(idx, (i) => sw[i]!);
        const dropoutSeed = rng.seed();
        const step = weightedCrossEntropyStep(optimizer, vars, xs, [idx.length, ...cutShape], labels, weights, K, (x) =>
          forwardTrain(net, x, { backboneBatchNorm: config.batchNorm, dropoutSeed }),
        );
        if (!Number.isFinite(step.loss)) {
          throw new FttlError('bad-input', `The training loss became ${step.loss}: lower the learning rate (now ${config.learningRate}).`);
        }
        lossSum += step.loss * idx.length;
        correct += step.correct;
        seen += idx.length;
        args.onBatch?.(epoch, b + 1, batches);
      }
      if (cancelled) break;
      const trainSeconds = (performance.now() - t0) / 1000;
      const rec: EpochRecord = { epoch, loss: lossSum / seen, accuracy: correct / seen, seconds: 0 };
      if (monitor === 'val_loss') {
        const m = await evaluateSplit(net, val!, config.batchSize, signal);
        if (m === 'cancelled') {
          cancelled = true;
          break;
        }
        rec.valLoss = m.loss;
        rec.valAccuracy = m.accuracy;
      }
      rec.seconds = (performance.now() - t0) / 1000;
      history.push(rec);
      imagesPerSecond.push(seen / trainSeconds);
      const watched = monitor === 'val_loss' ? rec.valLoss! : rec.loss;
      if (!best || watched < best.loss) {
        best?.weights.forEach((t) => t.dispose());
        best = { loss: watched, epoch, weights: net.model.getWeights().map((t) => t.clone()) };
        await args.onBest?.(rec);
      }
      args.onEpoch?.(rec, seen / trainSeconds);
    }
    // The best epoch's weights (BatchNorm statistics included) are what the run keeps.
    if (best) net.model.setWeights(best.weights);
  } finally {
    best?.weights.forEach((t) => t.dispose());
    disposeOptimizer(optimizer);
  }
  return { history, bestEpoch: best?.epoch ?? null, monitor, imagesPerSecond, cancelled };
}

/**
 * tfjs 4.22's MomentumOptimizer.dispose() forgets the learning-rate scalar its SGD base keeps
 * (`c`): one tensor leaked per run. Free it too.
 */
function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}

/** Class probabilities of the network (inference mode) for every item of a split, in batches. */
export async function predictSplit(net: FinetuneNetwork, split: { labels: Int32Array; load: BatchLoader }, batchSize: number, signal?: AbortSignal): Promise<Float32Array | 'cancelled'> {
  const n = split.labels.length;
  const K = net.numClasses;
  const out = new Float32Array(n * K);
  const batchOf = (start: number) => Array.from({ length: Math.min(n, start + batchSize) - start }, (_, i) => start + i);
  let pending: Promise<Float32Array> | undefined = n > 0 ? split.load(batchOf(0), 0) : undefined;
  for (let start = 0; start < n; start += batchSize) {
    const idx = batchOf(start);
    const xs = await pending!;
    pending = start + batchSize < n ? split.load(batchOf(start + batchSize), 0) : undefined;
    if (signal?.aborted) {
      await pending?.catch(() => undefined);
      return 'cancelled';
    }
    tf.tidy(() => {
      const probs = net.model.predict(tf.tensor(xs, [idx.length, ...net.plan.cutShape])) as tf.Tensor;
      out.set(probs.dataSync(), start * K);
    });
  }
  return out;
}

async function evaluateSplit(net: FinetuneNetwork, split: SplitData, batchSize: number, signal?: AbortSignal): Promise<{ loss: number; accuracy: number } | 'cancelled'> {
  const probs = await predictSplit(net, split, batchSize, signal);
  return probs === 'cancelled' ? probs : probaMetrics(probs, split.labels, net.numClasses);
}
