// The one protocol between the extension host and the engine worker (worker_threads).
// Every message is checked against these schemas on arrival, at both ends: a message that does
// not parse is logged and dropped (or, for a request, answered with a 'protocol' error).
import { z } from 'zod';
import { reportDataSchema } from './report.js';

export const PROTOCOL_VERSION = 1;

/** FttlError kinds, plus what only the host/worker boundary can produce. */
export const ERROR_KINDS = ['bad-input', 'weights', 'cancelled', 'network', 'internal', 'protocol', 'crashed', 'untrusted'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export const errorSchema = z.object({ kind: z.enum(ERROR_KINDS), message: z.string() });
export type WireError = z.infer<typeof errorSchema>;

const resizeMode = z.enum(['stretch', 'crop', 'pad']);
const pooling = z.enum(['flatten', 'avg', 'none']);
const skipped = z.array(z.object({ path: z.string(), reason: z.string() }));

/** Where runs and caches live, and which weights cache to use; part of every engine call. */
export const workspaceParams = z.object({
  /** Folder holding runs/ and cache/features (the CLI's --workdir). */
  workDir: z.string().min(1),
  weightsCacheDir: z.string().optional(),
});

/** What turns a dataset into feature vectors (the CLI's data options). */
export const dataParams = workspaceParams.extend({
  train: z.string().min(1),
  test: z.string().optional(),
  backbone: z.string().min(1),
  layer: z.string().optional(),
  pooling: pooling.optional(),
  resizeMode,
  seed: z.number().int().min(0),
  testFraction: z.number().gt(0).lt(1),
  valFraction: z.number().min(0).lt(1),
  batchSize: z.number().int().min(1),
});

export const backendInfoSchema = z.object({
  name: z.string(),
  tfBackend: z.string(),
  threads: z.number(),
  unavailable: z.array(z.object({ name: z.string(), reason: z.string() })),
  description: z.string(),
});

export const runSummarySchema = z.object({
  id: z.string(),
  kind: z.enum(['transfer', 'finetune']),
  model: z.string(),
  createdAt: z.string(),
  backbone: z.string(),
  head: z.string(),
  accuracy: z.number(),
  kappa: z.number(),
  dir: z.string(),
});
export type RunSummaryWire = z.infer<typeof runSummarySchema>;

export const classScoreSchema = z.object({ className: z.string(), index: z.number(), probability: z.number() });
export const classificationSchema = z.object({
  path: z.string(),
  /** Absent when the file could not be classified (then `error` says why). */
  top: z.array(classScoreSchema).optional(),
  probabilities: z.array(z.number()).optional(),
  /** PNG data URL of the input as the model saw it, and of the Grad-CAM overlay, when computed. */
  image: z.string().optional(),
  gradcam: z.string().optional(),
  gradcamNote: z.string().optional(),
  error: errorSchema.optional(),
});
export type ClassificationWire = z.infer<typeof classificationSchema>;

export const comparisonRowSchema = z.object({
  id: z.string(),
  model: z.string(),
  accuracy: z.number(),
  kappa: z.number(),
  kappaLinear: z.number(),
  auc: z.number().nullable(),
  testCount: z.number(),
});

export const layerInfoSchema = z.object({ name: z.string(), shape: z.array(z.number().nullable()), className: z.string() });

/** Methods the worker serves: params checked by the worker, results checked by the host. */
export const methods = {
  /** Starts (once) the compute backend and says which one runs. */
  backend: { params: z.object({}), result: backendInfoSchema },
  /** Scans a dataset folder (or CSV) without decoding images. */
  scanDataset: {
    params: z.object({ source: z.string().min(1) }),
    result: z.object({ root: z.string(), classes: z.array(z.string()), counts: z.array(z.number()), total: z.number(), skipped }),
  },
  extract: {
    params: dataParams,
    result: z.object({
      backbone: z.string(),
      backboneName: z.string(),
      layer: z.string(),
      pooling: z.string(),
      dim: z.number(),
      images: z.number(),
      fromCache: z.number(),
      extracted: z.number(),
      seconds: z.number(),
      classes: z.array(z.string()),
      counts: z.object({ train: z.number(), val: z.number(), test: z.number() }),
      skipped,
    }),
  },
  train: {
    params: dataParams.extend({ head: z.record(z.unknown()) }),
    result: z.object({ run: runSummarySchema, skipped }),
  },
  /** Fine-tunes the backbone (when this build's engine has fine-tuning). */
  finetune: {
    params: dataParams.extend({
      /** FT#1: a random head of architecture `head`; FT#2: the head of transfer run `headFrom`. */
      headInit: z.enum(['random', 'learned']),
      head: z.enum(['lr', 'mlp1', 'mlp2']).optional(),
      headFrom: z.string().optional(),
      /** Overrides of the seed's fine-tuning preset (engine-checked). */
      options: z.record(z.unknown()),
    }).refine((p) => p.headInit === 'random' || !!p.headFrom, { message: 'a learned head needs headFrom (a transfer run)', path: ['headFrom'] }),
    result: z.object({ run: runSummarySchema, skipped }),
  },
  evaluate: {
    params: workspaceParams.extend({ runDir: z.string(), test: z.string().min(1), batchSize: z.number().int().min(1) }),
    result: z.object({
      runId: z.string(),
      test: z.string(),
      accuracy: z.number(),
      kappa: z.object({ unweighted: z.number(), linear: z.number(), quadratic: z.number() }),
      auc: z.number().nullable(),
      count: z.number(),
      confusionMatrix: z.array(z.array(z.number())),
      classes: z.array(z.string()),
      skipped,
    }),
  },
  classify: {
    params: workspaceParams.extend({
      runDir: z.string(),
      images: z.array(z.string()).min(1),
      topK: z.number().int().min(1).max(100),
      gradcam: z.boolean(),
    }),
    result: z.object({ runId: z.string(), classes: z.array(z.string()), results: z.array(classificationSchema) }),
  },
  listRuns: { params: workspaceParams, result: z.object({ runs: z.array(runSummarySchema) }) },
  report: {
    params: workspaceParams.extend({ runDir: z.string(), thumbnails: z.number().int().min(0).max(2000), embedding: z.boolean() }),
    result: reportDataSchema,
  },
  compare: { params: workspaceParams.extend({ runDirs: z.array(z.string()) }), result: z.object({ rows: z.array(comparisonRowSchema) }) },
  /** Small PNG data URLs of image files (for the confusion-cell and misclassified galleries). */
  thumbnails: {
    params: z.object({ paths: z.array(z.string()).max(500), size: z.number().int().min(16).max(512) }),
    result: z.object({ thumbs: z.record(z.string()) }),
  },
  /** The built-in backbone names, for the backbone picker. */
  backbones: { params: z.object({}), result: z.object({ backbones: z.array(z.object({ name: z.string(), description: z.string() })) }) },
  layers: {
    params: workspaceParams.extend({ backbone: z.string().min(1) }),
    result: z.object({ backbone: z.string(), defaultLayer: z.string(), layers: z.array(layerInfoSchema) }),
  },
  activations: {
    params: workspaceParams.extend({
      backbone: z.string().min(1),
      image: z.string().min(1),
      layer: z.string().min(1),
      maxMaps: z.number().int().min(1).max(1024),
    }),
    result: z.object({
      layer: z.string(),
      shape: z.array(z.number()),
      shown: z.number(),
      columns: z.number(),
      grid: z.string(),
      image: z.string(),
    }),
  },
  filters: {
    params: workspaceParams.extend({ backbone: z.string().min(1), layer: z.string().optional(), maxFilters: z.number().int().min(1).max(512) }),
    result: z.object({ layer: z.string(), shape: z.array(z.number()), shown: z.number(), grid: z.string() }),
  },
  /** Test hooks; the real worker answers them only when started with FTTL_WORKER_TEST_HOOKS=1. */
  sleep: { params: z.object({ ms: z.number().int().min(0), busy: z.boolean().optional() }), result: z.object({ slept: z.number() }) },
  crash: { params: z.object({ how: z.enum(['exit', 'throw']) }), result: z.object({}) },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]['params']>;
export type Result<M extends MethodName> = z.output<Methods[M]['result']>;
export const METHOD_NAMES = Object.keys(methods) as MethodName[];

/** Live training numbers, for curves drawn while a head trains. */
export const epochEventSchema = z.object({
  epoch: z.number(),
  total: z.number(),
  loss: z.number(),
  valLoss: z.number().optional(),
  phase: z.string(),
});
export type EpochEvent = z.infer<typeof epochEventSchema>;

export const progressEventSchema = z.object({
  phase: z.string(),
  done: z.number(),
  total: z.number(),
  message: z.string().optional(),
});
export type ProgressEvent = z.infer<typeof progressEventSchema>;

const requestMessage = z.object({
  type: z.literal('request'),
  id: z.number().int().nonnegative(),
  method: z.enum(METHOD_NAMES as [MethodName, ...MethodName[]]),
  params: z.unknown(),
});
const cancelMessage = z.object({ type: z.literal('cancel'), id: z.number().int().nonnegative() });

/** Host → worker. */
export const toWorkerSchema = z.discriminatedUnion('type', [requestMessage, cancelMessage]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

/** Worker → host. */
export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), protocol: z.number(), pid: z.number() }),
  z.object({ type: z.literal('result'), id: z.number(), result: z.unknown() }),
  z.object({ type: z.literal('error'), id: z.number(), error: errorSchema }),
  z.object({ type: z.literal('progress'), id: z.number(), progress: progressEventSchema }),
  z.object({ type: z.literal('epoch'), id: z.number(), epoch: epochEventSchema }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), message: z.string() }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;

/** Checks a method's params (the worker's side). Throws a 'protocol' WireError-shaped error. */
export function parseParams<M extends MethodName>(method: M, params: unknown): z.output<Methods[M]['params']> {
  const parsed = methods[method].params.safeParse(params);
  if (!parsed.success) throw new ProtocolError(`Invalid parameters for "${method}": ${describeZodError(parsed.error)}`);
  return parsed.data as z.output<Methods[M]['params']>;
}

/** Checks a method's result (the host's side). */
export function parseResult<M extends MethodName>(method: M, result: unknown): Result<M> {
  const parsed = methods[method].result.safeParse(result);
  if (!parsed.success) throw new ProtocolError(`Invalid result from "${method}": ${describeZodError(parsed.error)}`);
  return parsed.data as Result<M>;
}

export class ProtocolError extends Error {
  readonly kind = 'protocol' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? issue.path.join('.') : '(root)';
  return `${where}: ${issue.message}`;
}

/** The error every boundary reports: a kind the UI can act on and a message written for people. */
export class WorkerError extends Error {
  constructor(readonly kind: ErrorKind, message: string) {
    super(message);
    this.name = 'WorkerError';
  }
}
