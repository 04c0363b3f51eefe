import * as tf from '@tensorflow/tfjs';
import type * as Ort from 'onnxruntime-node';
import { cudaProviderPresent, loadOrt, ortThreads, sessionOptions, type OrtProvider } from '../../inference/onnx/ort.js';
import { Rng } from '../../util/rng.js';
import { countCorrect, type TrainingEngine, type TrainingEngineOptions } from '../engine.js';
import { ADAM_INPUTS, buildTrainGraphs, paramInput, stateOutput, TRAIN_INPUTS, TRAIN_OUTPUTS } from './trainGraph.js';

/**
 * Training steps on onnxruntime: one graph (trainGraph.ts) computes the loss, the gradients and the
 * optimiser's update; the weights and the optimiser's slots live here as Float32Arrays between
 * steps (each step's outputs become the next step's inputs) and are written back into the tfjs
 * model on `commit()`.
 */
export async function ortTrainingEngine(opts: TrainingEngineOptions): Promise<TrainingEngine> {
  const ort = await loadOrt();
  const { model } = opts;
  const graphs = buildTrainGraphs(model, { bnTraining: opts.bnTraining, optimizer: opts.optimizer });
  const threads = ortThreads();
  let provider: OrtProvider = cudaProviderPresent() ? 'cuda' : 'cpu';
  const create = async (bytes: Uint8Array) => {
    try {
      return await ort.InferenceSession.create(bytes, sessionOptions(provider, threads));
    } catch (err) {
      if (provider !== 'cuda') throw err;
      provider = 'cpu'; // CUDA listed but unusable: the CPU still trains.
      return ort.InferenceSession.create(bytes, sessionOptions(provider, threads));
    }
  };
  const trainSession = await create(graphs.train);
  const predictSession = await create(graphs.predict).catch(async (err: unknown) => {
    await trainSession.release();
    throw err;
  });

  const values: Float32Array[] = model.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  const slots: Float32Array[] = graphs.slots.map((slot) => new Float32Array(slot.shape.reduce((a, d) => a * d, 1)));
  const spec = opts.optimizer;
  let adamPower = spec.kind === 'adam' ? { beta1: spec.beta1, beta2: spec.beta2 } : undefined;
  const { inputShape, numClasses: K } = graphs;
  const rowSize = inputShape.reduce((a, d) => a * d, 1);
  const paramFeeds = (): Record<string, Ort.Tensor> =>
    Object.fromEntries(graphs.params.map((p) => [paramInput(p.index), new ort.Tensor('float32', values[p.index]!, p.shape)]));
  const commit = () => tf.tidy(() => model.weights.forEach((w, i) => w.write(tf.tensor(values[i]!, w.shape as number[]))));
  const inputTensor = (xs: Float32Array, count: number) => new ort.Tensor('float32', xs.length === count * rowSize ? xs : xs.subarray(0, count * rowSize), [count, ...inputShape]);

  return {
    name: `onnxruntime-${provider}`,
    async step(b) {
      const n = b.count;
      const onehot = new Float32Array(n * K);
      const sw = new Float32Array(n);
      for (let r = 0; r < n; r++) {
        onehot[r * K + b.labels[r]!] = 1;
        sw[r] = b.weights[r]! / n;
      }
      const feeds: Record<string, Ort.Tensor> = {
        ...paramFeeds(),
        [TRAIN_INPUTS.x]: inputTensor(b.xs, n),
        [TRAIN_INPUTS.onehot]: new ort.Tensor('float32', onehot, [n, K]),
        [TRAIN_INPUTS.sampleWeight]: new ort.Tensor('float32', sw, [n]),
      };
      graphs.slots.forEach((slot, k) => (feeds[slot.input] = new ort.Tensor('float32', slots[k]!, slot.shape)));
      if (adamPower) {
        feeds[ADAM_INPUTS.c1] = new ort.Tensor('float32', Float32Array.of(1 - adamPower.beta1), []);
        feeds[ADAM_INPUTS.c2] = new ort.Tensor('float32', Float32Array.of(1 - adamPower.beta2), []);
      }
      graphs.dropout.forEach((d, k) => {
        // tf.dropout's convention: keep with probability 1 − rate, scaled by 1/(1 − rate).
        const rng = new Rng(b.dropoutSeed + k);
        const size = d.shape.reduce((a, x) => a * x, n);
        const mask = new Float32Array(size);
        const keep = 1 / (1 - d.rate);
        for (let i = 0; i < size; i++) mask[i] = rng.next() < d.rate ? 0 : keep;
        feeds[d.input] = new ort.Tensor('float32', mask, [n, ...d.shape]);
      });
      const out = await trainSession.run(feeds);
      const loss = (out[TRAIN_OUTPUTS.loss]!.data as Float32Array)[0]!;
      const correct = countCorrect(out[TRAIN_OUTPUTS.probs]!.data as Float32Array, b.labels, K);
      // A non-finite loss leaves the weights as they were (callers stop on it).
      if (Number.isFinite(loss)) {
        for (const i of graphs.states) values[i] = out[stateOutput(i)]!.data as Float32Array;
        graphs.slots.forEach((slot, k) => (slots[k] = out[slot.output]!.data as Float32Array));
        if (adamPower && spec.kind === 'adam') adamPower = { beta1: adamPower.beta1 * spec.beta1, beta2: adamPower.beta2 * spec.beta2 };
      }
      return { loss, correct };
    },
    async predict(xs, count) {
      const out = await predictSession.run({ ...paramFeeds(), [TRAIN_INPUTS.x]: inputTensor(xs, count) });
      return out[TRAIN_OUTPUTS.probs]!.data as Float32Array;
    },
    snapshot() {
      return values.map((v) => v.slice());
    },
    restore(weights) {
      weights.forEach((w, i) => values[i]!.set(w));
      commit();
    },
    commit,
    dispose() {
      void trainSession.release().catch(() => undefined);
      void predictSession.release().catch(() => undefined);
    },
  };
}
