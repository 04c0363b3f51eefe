import { z } from 'zod';

/** Schemas of the files a run folder holds; checked whenever FTTL reads them back from disk. */

const scores = z.object({ precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() });

export const metricsSchema = z.object({
  classes: z.array(z.string()),
  count: z.number(),
  accuracy: z.number(),
  kappa: z.object({ unweighted: z.number(), linear: z.number(), quadratic: z.number() }),
  confusionMatrix: z.array(z.array(z.number())),
  report: z.object({
    perClass: z.array(scores.extend({ name: z.string() })),
    macro: scores,
    weighted: scores,
    accuracy: z.number(),
  }),
  auc: z.number().nullable(),
  aucPerClass: z.array(z.number().nullable()),
});

export const epochSchema = z.object({
  epoch: z.number(),
  loss: z.number(),
  accuracy: z.number(),
  valLoss: z.number().optional(),
  valAccuracy: z.number().optional(),
  seconds: z.number(),
});

export const predictionSchema = z.object({
  path: z.string(),
  label: z.string(),
  predicted: z.string(),
  probabilities: z.array(z.number()),
});
export type Prediction = z.infer<typeof predictionSchema>;

const splitCounts = z.object({ train: z.array(z.number()), val: z.array(z.number()), test: z.array(z.number()) });

export const runRecordSchema = z.object({
  formatVersion: z.literal(1),
  id: z.string(),
  kind: z.enum(['transfer', 'finetune']),
  /** Short model name for tables, e.g. "MLP-1 on mobilenet_v1_0.75". */
  model: z.string(),
  createdAt: z.string(),
  config: z.object({
    train: z.string(),
    test: z.string().nullable(),
    backbone: z.string(),
    backboneId: z.string(),
    backboneName: z.string(),
    layer: z.string(),
    pooling: z.string(),
    resizeMode: z.string(),
    inputSize: z.number(),
    preprocess: z.string(),
    seed: z.number(),
    testFraction: z.number(),
    valFraction: z.number(),
    head: z.record(z.unknown()),
  }),
  dataset: z.object({
    fingerprint: z.string(),
    splitSource: z.enum(['folders', 'stratified']),
    classes: z.array(z.string()),
    counts: splitCounts,
  }),
  skipped: z.array(z.object({ path: z.string(), reason: z.string() })),
  backend: z.object({
    name: z.string(),
    threads: z.number(),
    /** Who ran forward passes (feature extraction, the frozen prefix): 'onnxruntime-cpu', 'tfjs-wasm', … */
    runtime: z.string(),
    /** Who ran training steps (MLP heads, fine-tuning); absent in records written before it was recorded and for L-BFGS heads. */
    trainer: z.string().optional(),
    /** Why onnxruntime did not run the training steps, when it was tried and could not. */
    trainerNote: z.string().optional(),
  }),
  timings: z.record(z.number()),
  featureDim: z.number(),
  history: z.array(epochSchema),
  bestEpoch: z.number().nullable(),
  metrics: metricsSchema,
  /** Sub-folder holding the trained head as a TF.js Layers model. */
  headDir: z.string(),
  /** How the run ended; absent means complete (fine-tuning runs say 'cancelled' when stopped early). */
  status: z.enum(['complete', 'cancelled']).optional(),
  /** Sub-folder holding the whole classifier, image → probabilities, as a TF.js Layers model (fine-tuning runs). */
  modelDir: z.string().optional(),
  /** What a fine-tuning run trained and how (kind 'finetune' only). */
  finetune: z
    .object({
      /** The frozen prefix ends with this layer; its outputs were cached (unless augmenting). */
      cutLayer: z.string(),
      /** Backbone layers that were trained; all others kept their weights. */
      trainableLayers: z.array(z.string()),
      /** FT#1: 'random'; FT#2: 'run' (the head of a transfer-learning run). */
      headInit: z.enum(['random', 'run']),
      headFromRun: z.string().nullable(),
      /** Whether epochs read cached prefix outputs (false with augmentation: the prefix ran per batch). */
      prefixCached: z.boolean(),
      /** The loss that picked the best epoch. */
      monitor: z.enum(['val_loss', 'loss']),
      /** Training images per second, per epoch. */
      imagesPerSecond: z.array(z.number()),
      /** The fine-tuning settings (optimizer, learning rate, epochs, batch size, augmentation, ...). */
      config: z.record(z.unknown()),
    })
    .optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

export const RUN_FILE = 'run.json';
export const PREDICTIONS_FILE = 'predictions.json';
