import { join } from 'node:path';
import { rm, stat } from 'node:fs/promises';
import type { PoolingMode } from '../backbones/backbone.js';
import { currentBackend } from '../backend/selectBackend.js';
import { assertNoEmptyClass, type SkippedFile } from '../data/dataset.js';
import { resolveSplits } from '../data/splits.js';
import { FeatureCache } from '../features/featureCache.js';
import {
  buildFullModel,
  buildTrainableNetwork,
  ensureTrainingKernels,
  finetuneConfig,
  headFromRun,
  planFinetune,
  pooledDim,
  PrefixStore,
  randomHead,
  readHeadRun,
  saveModelFolder,
  trainFinetune,
  type FinetuneConfig,
  type FinetuneNetwork,
  type InitialHead,
} from '../finetune/index.js';
import { createRunner } from '../inference/createRunner.js';
import { evaluate } from '../metrics/evaluate.js';
import type { RunRecord } from '../runs/runRecord.js';
import { newRunId, PendingRun, resolveRun } from '../runs/runStore.js';
import { readJsonFile } from '../finetune/modelFiles.js';
import { atomicWriteJson } from '../util/atomicWrite.js';
import { FttlError } from '../util/errors.js';
import { getBackbone } from './backboneSession.js';
import { defaultOnnxCacheDir, type BaseFeatureOptions } from './prepareFeatures.js';
import { headLabel, predictionsOf, runConfigBase, runDataset } from './runHelpers.js';
import type { RunResult } from './transferRun.js';

export interface FinetuneRunOptions extends BaseFeatureOptions {
  /** Feature layer the head reads (default: the head run's, else the backbone's default). */
  layer?: string;
  /** Fine-tuning settings over the seed's preset (SGD 1e-4, momentum 0.9, 20 epochs, batch 32, last block). */
  finetune?: Partial<FinetuneConfig>;
  /** FT#2: start from the head of this transfer-learning run (folder, id, unique prefix or "latest"). */
  headFrom?: string;
  runsDir: string;
  /** Images per forward pass of the frozen part. */
  batchSize: number;
}

/** Sub-folder of a fine-tuning run holding its end-to-end model. */
export const MODEL_DIR = 'model';
const CHECKPOINT_DIR = 'checkpoint';
const CHECKPOINT_FILE = 'checkpoint.json';

/**
 * The seed's fine-tuning experiment as one call: the backbone's last block(s) unfrozen and trained
 * with a dense head (random, or a transfer run's trained head), on streamed and cached outputs of
 * the frozen part; the best epoch by validation loss is checkpointed and kept; metrics on the test
 * split; the whole classifier saved as a TF.js model in the run folder (kind 'finetune').
 *
 * Cancelled (signal) after at least one epoch: the best epoch is evaluated and the run committed
 * with status 'cancelled'. Failing after a checkpoint: the run's staging folder is kept with the
 * checkpoint (and a note of the error) and the error says where. A process killed mid-run leaves
 * that folder with its last checkpoint too.
 */
export async function finetuneRun(opts: FinetuneRunOptions): Promise<RunResult> {
  const started = performance.now();
  let t = started;
  const lap = () => {
    const s = (performance.now() - t) / 1000;
    t = performance.now();
    return s;
  };
  const config = finetuneConfig({ seed: opts.seed, ...opts.finetune });
  const splits = await resolveSplits({ train: opts.train, test: opts.test, seed: opts.seed, testFraction: opts.testFraction, valFraction: opts.valFraction });
  const numClasses = splits.classes.length;
  if (numClasses < 2) throw new FttlError('bad-input', `${opts.train} has ${numClasses} class; a classifier needs at least 2.`);
  const splitSeconds = lap();
  const backbone = await getBackbone(opts.backbone, { weightsCacheDir: opts.weightsCacheDir, onProgress: opts.onProgress, signal: opts.signal });
  const loadSeconds = lap();
  await ensureTrainingKernels();

  const headRun = opts.headFrom !== undefined ? await resolveRun(opts.runsDir, opts.headFrom) : undefined;
  const headRecord = headRun !== undefined ? await readHeadRun(headRun) : undefined;
  const plan = planFinetune(backbone, {
    blocks: config.blocks,
    fromLayer: config.fromLayer,
    layer: opts.layer ?? headRecord?.config.layer,
    pooling: opts.pooling ?? (headRecord?.config.pooling as PoolingMode | undefined),
  });
  const dim = pooledDim(backbone, plan);
  const head: InitialHead = headRun
    ? await headFromRun(headRun, { backboneId: backbone.id, backboneName: backbone.name, featureLayer: plan.featureLayer, pooling: plan.pooling, dim, classes: splits.classes })
    : randomHead(config.head, dim, numClasses, config.seed);

  // The frozen prefix, computed once per image and cached on disk (val/test always; train unless augmenting),
  // by the engine's fastest forward runtime (onnxruntime where it works, else tfjs): inference only.
  const runner = await createRunner({ backbone, layer: plan.cutLayer, pooling: 'none', onnxCacheDir: defaultOnnxCacheDir(opts.featureCacheDir) });
  const cache = new FeatureCache(
    opts.featureCacheDir,
    { backboneId: backbone.id, layer: plan.cutLayer, pooling: 'none', inputSize: backbone.inputSize, resizeMode: opts.resizeMode, preprocess: backbone.preprocess },
    runner.outputSize,
  );
  const store = new PrefixStore({ runner, cache, resizeMode: opts.resizeMode, batchSize: opts.batchSize, onProgress: opts.onProgress, signal: opts.signal });
  const skipped: SkippedFile[] = [...splits.skipped];
  let net: FinetuneNetwork | undefined;
  try {
    const augment = config.augment;
    const trainPrep = await store.prepare(splits.train, 'frozen part: train', skipped, augment !== null);
    const valPrep = await store.prepare(splits.val, 'frozen part: val', skipped);
    const testPrep = await store.prepare(splits.test, 'frozen part: test', skipped);
    skipped.sort((a, b) => a.path.localeCompare(b.path));
    assertNoEmptyClass(splits.classes, trainPrep.items, `the training split of ${opts.train}`);
    assertNoEmptyClass(splits.classes, testPrep.items, `the test split${opts.test ? ` (${opts.test})` : ''}`);
    const extractSeconds = lap();
    const trainSource = augment ? store.augmentedSource(trainPrep, augment, config.seed) : store.cachedSource(trainPrep);
    const valSource = store.cachedSource(valPrep);
    const testSource = store.cachedSource(testPrep);
    const labelsOf = (items: { label: number }[]) => Int32Array.from(items, (i) => i.label);

    net = await buildTrainableNetwork(backbone, plan, head.model);
    const kindLabel = headLabel(head.kind);
    const model =
      head.init === 'random'
        ? `FT#1 ${kindLabel} random head · ${backbone.name}`
        : `FT#2 ${kindLabel} head of ${head.fromRun!.id} · ${backbone.name}`;
    const id = newRunId(`ft-${head.kind}-${backbone.architecture}`);
    const pending = await PendingRun.start(opts.runsDir, id);
    const checkpointDir = join(pending.stagingDir, CHECKPOINT_DIR);
    const finetuneInfo = {
      cutLayer: plan.cutLayer,
      trainableLayers: plan.trainableLayers,
      headInit: head.init,
      headFromRun: head.fromRun?.id ?? null,
      prefixCached: augment === null,
      config: { ...config } as Record<string, unknown>,
    };

    let trained;
    const trainStarted = performance.now();
    try {
      const batches = Math.ceil(trainPrep.items.length / config.batchSize);
      const total = batches * config.epochs;
      let lastEpoch = '';
      trained = await trainFinetune({
        net,
        config,
        train: { labels: labelsOf(trainPrep.items), load: trainSource.load },
        val: valPrep.items.length > 0 ? { labels: labelsOf(valPrep.items), load: valSource.load } : undefined,
        test: { labels: labelsOf(testPrep.items), load: testSource.load },
        signal: opts.signal,
        onBatch: (epoch, b) =>
          opts.onProgress?.({ phase: 'fine-tune', done: (epoch - 1) * batches + b, total, message: `epoch ${epoch}/${config.epochs} batch ${b}/${batches}${lastEpoch}` }),
        onEpoch: (r, ips) => {
          const summary = `loss ${r.loss.toFixed(4)}${r.valLoss !== undefined ? ` val ${r.valLoss.toFixed(4)}` : ''} · ${ips.toFixed(1)} img/s`;
          lastEpoch = ` · epoch ${r.epoch}: ${summary}`;
          opts.onProgress?.({
            phase: 'fine-tune',
            done: r.epoch * batches,
            total,
            message: `epoch ${r.epoch}/${config.epochs} done · ${summary}`,
            epoch: { record: { ...r }, total: config.epochs },
          });
        },
        onBest: async (r) => {
          const note = { status: 'running', runId: id, bestEpoch: r.epoch, best: r, backboneId: backbone.id, classes: splits.classes, ...finetuneInfo };
          await saveModelFolder(net!.model, checkpointDir, { [CHECKPOINT_FILE]: note });
        },
      });
    } catch (err) {
      await keepOrAbandon(pending, checkpointDir, err);
      throw err;
    }
    const trainSeconds = (performance.now() - trainStarted) / 1000;
    if (trained.bestEpoch === null) {
      await pending.abandon();
      throw new FttlError('cancelled', 'Cancelled by the user before the first epoch finished; nothing was kept.');
    }

    try {
      // The best epoch's weights, scored on the test split (cached prefix outputs) by the training engine.
      const probs = trained.testProbs;
      if (!probs) throw new FttlError('internal', 'the test split was not scored');
      const { predictions, yTrue, yPred, rows } = predictionsOf(testPrep.items, probs, splits.classes);
      const metrics = evaluate(yTrue, yPred, rows, splits.classes);

      const full = await buildFullModel(backbone, net);
      try {
        await saveModelFolder(full, join(pending.stagingDir, MODEL_DIR));
      } finally {
        full.dispose();
      }
      await rm(checkpointDir, { recursive: true, force: true });

      const backend = await currentBackend();
      const ips = trained.imagesPerSecond;
      const record: RunRecord = {
        formatVersion: 1,
        id,
        kind: 'finetune',
        model,
        createdAt: new Date().toISOString(),
        config: {
          ...runConfigBase(opts, backbone, plan.featureLayer, plan.pooling),
          head: { ...head.config, init: head.init, fromRun: head.fromRun?.id ?? null },
        },
        dataset: runDataset(opts.train, splits, { train: labelsOf(trainPrep.items), val: labelsOf(valPrep.items), test: labelsOf(testPrep.items) }),
        skipped,
        backend: { name: backend.name, threads: backend.threads, runtime: runner.runtime, trainer: trained.trainer, ...(trained.trainerFallback ? { trainerNote: trained.trainerFallback } : {}) },
        timings: {
          splitSeconds,
          loadBackboneSeconds: loadSeconds,
          extractSeconds,
          featuresFromCache: store.fromCache,
          featuresExtracted: store.computed,
          trainSeconds,
          trainImagesPerSecond: ips.length ? [...ips].sort((a, b) => a - b)[Math.floor(ips.length / 2)]! : 0,
          totalSeconds: (performance.now() - started) / 1000,
        },
        featureDim: dim,
        history: trained.history,
        bestEpoch: trained.bestEpoch,
        metrics,
        headDir: MODEL_DIR,
        status: trained.cancelled ? 'cancelled' : 'complete',
        modelDir: MODEL_DIR,
        finetune: { ...finetuneInfo, monitor: trained.monitor, imagesPerSecond: ips },
      };
      const runDir = await pending.commit(record, predictions);
      return { record, runDir, predictions };
    } catch (err) {
      await keepOrAbandon(pending, checkpointDir, err);
      throw err;
    }
  } finally {
    head.model.dispose(); // the network holds its own copies of the head's weights
    net?.model.dispose();
    runner.dispose();
  }
}

/**
 * After a failure: a run with a checkpoint keeps its staging folder (the checkpoint says what
 * happened) and the error is extended to say where; one without is removed.
 */
async function keepOrAbandon(pending: PendingRun, checkpointDir: string, err: unknown): Promise<void> {
  const noteFile = join(checkpointDir, CHECKPOINT_FILE);
  if (!(await stat(noteFile).then(() => true, () => false))) {
    await pending.abandon();
    return;
  }
  const note = (await readJsonFile(noteFile)) as Record<string, unknown>;
  const message = err instanceof Error ? err.message : String(err);
  await atomicWriteJson(noteFile, { ...note, status: 'failed', error: message });
  if (err instanceof Error) {
    err.message = `${message} (the best checkpoint so far, epoch ${String(note['bestEpoch'])}, is kept in ${checkpointDir})`;
  }
}

