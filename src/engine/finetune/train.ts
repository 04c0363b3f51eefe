import * as tf from '@tensorflow/tfjs';
import { sampleWeights } from '../heads/data.js';
import { probaMetrics } from '../heads/metrics.js';
import type { EpochRecord } from '../heads/index.js';
import { createTrainingEngine } from '../training/engine.js';
import { adamSpec, sgdSpec, type OptimizerSpec } from '../training/optimizer.js';
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
  /** Scored with the final (best) weights, on the training engine. */
  test?: SplitData;
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
  /** Who ran the training steps: 'onnxruntime-cpu', 'tfjs-wasm', … */
  trainer: string;
  /** Why onnxruntime did not train, when it could not. */
  trainerFallback?: string;
  /** Class probabilities of `test` (row-major), when a test split was given and an epoch finished. */
  testProbs?: Float32Array;
}

/** The optimiser of the config (Keras SGD(momentum) = tf.train.momentum for a constant learning rate). */
export function optimizerSpec(config: FinetuneConfig): OptimizerSpec {
  return config.optimizer === 'adam' ? adamSpec(config.learningRate) : sgdSpec(config.learningRate, config.momentum);
}

/**
 * Mini-batch training of the unfrozen block + head on streamed prefix outputs: a seeded shuffle
 * per epoch, (class-weighted) categorical cross-entropy averaged over the batch, the optimiser's
 * step on the trainable weights only, then the validation loss. The best epoch's weights are kept
 * (in memory, and through `onBest` on disk) and restored at the end, also when cancelled. The
 * next batch is read from disk while the current one trains. The steps run on the training engine
 * (onnxruntime where it can, else tfjs); the network's tfjs model holds the weights whenever
 * `onBest` runs and at the end.
 */
export async function trainFinetune(args: FinetuneTrainArgs): Promise<FinetuneTrainResult> {
  const { net, config, train, val, signal } = args;
  const K = net.numClasses;
  const n = train.labels.length;
  if (n === 0) throw new FttlError('bad-input', 'The training split has no usable image.');
  const rng = new Rng(deriveSeed(config.seed, 'finetune'));
  const headLayers = new Set(net.nodes.filter((node) => node.part === 'head').map((node) => node.name));
  const engine = await createTrainingEngine({
    model: net.model,
    optimizer: optimizerSpec(config),
    bnTraining: (layer) => headLayers.has(layer) || config.batchNorm === 'train',
    tfjsForward: (x, dropoutSeed) => forwardTrain(net, x, { backboneBatchNorm: config.batchNorm, dropoutSeed }),
  });
  const sw = sampleWeights(train.labels, K, config.classWeight);
  const order = Array.from({ length: n }, (_, i) => i);
  const batches = Math.ceil(n / config.batchSize);
  const history: EpochRecord[] = [];
  const imagesPerSecond: Throughput = [];
  const monitor = val && val.labels.length > 0 ? 'val_loss' : 'loss';
  let best: { loss: number; epoch: number; weights: Float32Array[] } | null = null;
  let cancelled = false;
  let testProbs: Float32Array | undefined;

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
        const step = await engine.step({ xs, count: idx.length, labels, weights, dropoutSeed: rng.seed() });
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
        const m = await evaluateSplit(net, val!, config.batchSize, signal, engine.predict);
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
        best = { loss: watched, epoch, weights: engine.snapshot() };
        engine.commit();
        await args.onBest?.(rec);
      }
      args.onEpoch?.(rec, seen / trainSeconds);
    }
    // The best epoch's weights (BatchNorm statistics included) are what the run keeps.
    if (best) engine.restore(best.weights);
    else engine.commit();
    if (best && args.test) {
      const probs = await predictSplit(net, args.test, config.batchSize, undefined, engine.predict);
      if (probs !== 'cancelled') testProbs = probs;
    }
  } finally {
    engine.dispose();
  }
  return { history, bestEpoch: best?.epoch ?? null, monitor, imagesPerSecond, cancelled, trainer: engine.name, trainerFallback: engine.fallbackReason, testProbs };
}

type Predict = (xs: Float32Array, count: number) => Promise<Float32Array>;

/**
 * Class probabilities of the network (inference mode) for every item of a split, in batches, by
 * `predict` (a training engine's) or else the network's tfjs model.
 */
export async function predictSplit(net: FinetuneNetwork, split: { labels: Int32Array; load: BatchLoader }, batchSize: number, signal?: AbortSignal, predict?: Predict): Promise<Float32Array | 'cancelled'> {
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
    if (predict) out.set((await predict(xs, idx.length)).subarray(0, idx.length * K), start * K);
    else
      tf.tidy(() => {
        const probs = net.model.predict(tf.tensor(xs, [idx.length, ...net.plan.cutShape])) as tf.Tensor;
        out.set(probs.dataSync(), start * K);
      });
  }
  return out;
}

async function evaluateSplit(net: FinetuneNetwork, split: SplitData, batchSize: number, signal: AbortSignal | undefined, predict: Predict): Promise<{ loss: number; accuracy: number } | 'cancelled'> {
  const probs = await predictSplit(net, split, batchSize, signal, predict);
  return probs === 'cancelled' ? probs : probaMetrics(probs, split.labels, net.numClasses);
}
