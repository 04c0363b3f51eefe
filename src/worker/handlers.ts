// The engine calls the worker serves, one per protocol method.
import { join, resolve } from 'node:path';
import { describeBackend, initBackend, type BackendPreference } from '../engine/backend/selectBackend.js';
import { countsByClass, loadDataset } from '../engine/data/dataset.js';
import { headPreset, validateHeadConfig, type HeadKind } from '../engine/heads/index.js';
import { getBackbone } from '../engine/pipeline/backboneSession.js';
import { classifierFromRun, classifyImages } from '../engine/pipeline/classify.js';
import { evaluateRun } from '../engine/pipeline/evaluateRun.js';
import { defaultFeatureCacheDir, prepareFeatures, type BaseFeatureOptions } from '../engine/pipeline/prepareFeatures.js';
import { transferRun } from '../engine/pipeline/transferRun.js';
import { finetuneRun } from '../engine/pipeline/finetuneRun.js';
import type { FinetuneConfig } from '../engine/finetune/index.js';
import { comparisonRows } from '../engine/runs/compareRuns.js';
import { listRuns, readRun, summarize } from '../engine/runs/runStore.js';
import { BUILT_IN_BACKBONES } from '../engine/backbones/backbone.js';
import { FttlError } from '../engine/util/errors.js';
import type { Progress, ProgressCallback } from '../engine/util/progress.js';
import type { ClassificationWire, EpochEvent } from '../shared/protocol.js';
import type { HandlerContext, Handlers } from './serve.js';
import { buildReportData, thumbnailsOf } from './reportData.js';
import { activationGrid, defaultMapLayer, filterGrid, gradCamOverlay, mapLayers } from './vision.js';
import { toWireError } from './serve.js';

export interface WorkerConfig {
  backend: BackendPreference;
  /** Serve the `sleep` and `crash` test hooks. */
  testHooks: boolean;
}

const runsDirOf = (workDir: string) => join(resolve(workDir), 'runs');

/** The engine's progress, forwarded; a report that closes an epoch also becomes an epoch event for live curves. */
export function progressSink(ctx: HandlerContext): ProgressCallback {
  return (p) => {
    ctx.progress({ phase: p.phase, done: p.done, total: p.total, message: p.message });
    const epoch = epochEventOf(p);
    if (epoch) ctx.epoch(epoch);
  };
}

/** The wire form of the engine's structured epoch record (transferRun's heads and finetuneRun set it). */
export function epochEventOf(p: Progress): EpochEvent | undefined {
  if (!p.epoch) return undefined;
  const { record, total } = p.epoch;
  return { epoch: record.epoch, total, loss: record.loss, ...(record.valLoss !== undefined ? { valLoss: record.valLoss } : {}), phase: p.phase };
}

export function engineHandlers(config: WorkerConfig): Handlers {
  const backend = () => initBackend(config.backend);
  const handlers: Handlers = {
    async backend() {
      const info = await backend();
      return { ...info, description: describeBackend(info) };
    },

    async scanDataset({ source }) {
      const ds = await loadDataset(source);
      return { root: ds.root, classes: ds.classes, counts: countsByClass(ds), total: ds.items.length, skipped: ds.skipped };
    },

    async extract(p, ctx) {
      await backend();
      const prepared = await prepareFeatures({
        ...dataOptions(p),
        onProgress: progressSink(ctx),
        signal: ctx.signal,
      });
      return {
        backbone: prepared.backbone.id,
        backboneName: prepared.backbone.name,
        layer: prepared.layer,
        pooling: prepared.pooling,
        dim: prepared.train.features.dim,
        images: prepared.train.items.length + prepared.val.items.length + prepared.test.items.length,
        fromCache: prepared.cache.fromCache,
        extracted: prepared.cache.extracted,
        seconds: prepared.seconds.extract,
        classes: prepared.splits.classes,
        counts: { train: prepared.train.items.length, val: prepared.val.items.length, test: prepared.test.items.length },
        skipped: prepared.skipped,
      };
    },

    async train(p, ctx) {
      await backend();
      const kind = p.head['kind'];
      const head = validateHeadConfig({ ...headPreset(kind as HeadKind, { seed: p.seed }), ...p.head });
      const result = await transferRun({
        ...dataOptions(p),
        runsDir: runsDirOf(p.workDir),
        head,
        onProgress: progressSink(ctx),
        signal: ctx.signal,
      });
      return { run: summarize(result.record, result.runDir), skipped: result.record.skipped };
    },

    async finetune(p, ctx) {
      await backend();
      const result = await finetuneRun({
        ...dataOptions(p),
        runsDir: runsDirOf(p.workDir),
        finetune: { ...(p.options as Partial<FinetuneConfig>), seed: p.seed, ...(p.head ? { head: p.head } : {}) },
        headFrom: p.headInit === 'learned' ? p.headFrom : undefined,
        onProgress: progressSink(ctx),
        signal: ctx.signal,
      });
      return { run: summarize(result.record, result.runDir), skipped: result.record.skipped };
    },

    async evaluate(p, ctx) {
      await backend();
      const e = await evaluateRun(p.runDir, p.test, {
        featureCacheDir: defaultFeatureCacheDir(p.workDir),
        weightsCacheDir: p.weightsCacheDir,
        batchSize: p.batchSize,
        onProgress: progressSink(ctx),
        signal: ctx.signal,
      });
      const m = e.metrics;
      return {
        runId: e.runId,
        test: e.test,
        accuracy: m.accuracy,
        kappa: m.kappa,
        auc: m.auc,
        count: m.count,
        confusionMatrix: m.confusionMatrix,
        classes: m.classes,
        skipped: e.skipped,
      };
    },

    async classify(p, ctx) {
      await backend();
      const record = await readRun(p.runDir);
      const classifier = await classifierFromRun(p.runDir, { weightsCacheDir: p.weightsCacheDir });
      const results: ClassificationWire[] = [];
      try {
        let done = 0;
        for (const image of p.images) {
          ctx.progress({ phase: 'classify', done, total: p.images.length, message: image });
          try {
            const [r] = await classifyImages(classifier, [image], p.topK, ctx.signal);
            const entry: ClassificationWire = { path: image, top: r!.top, probabilities: r!.probabilities };
            if (p.gradcam) {
              try {
                const cam = await gradCamOverlay(p.runDir, image, r!.top[0]!.index, p.weightsCacheDir);
                if ('overlay' in cam) entry.gradcam = cam.overlay;
                else entry.gradcamNote = cam.note;
              } catch (err) {
                entry.gradcamNote = `Grad-CAM failed: ${(err as Error).message}`;
              }
            }
            results.push(entry);
          } catch (err) {
            const error = toWireError(err);
            if (error.kind === 'cancelled') throw err;
            results.push({ path: image, error });
          }
          done++;
        }
        ctx.progress({ phase: 'classify', done, total: p.images.length });
      } finally {
        classifier.dispose();
      }
      return { runId: record.id, classes: record.dataset.classes, results };
    },

    async listRuns(p) {
      return { runs: await listRuns(runsDirOf(p.workDir)) };
    },

    async report(p, ctx) {
      await backend();
      return buildReportData(p.runDir, {
        workDir: p.workDir,
        weightsCacheDir: p.weightsCacheDir,
        thumbnails: p.thumbnails,
        embedding: p.embedding,
        signal: ctx.signal,
        log: (m) => ctx.log('warn', m),
      });
    },

    async compare(p) {
      return { rows: comparisonRows(await Promise.all(p.runDirs.map((d) => readRun(d)))) };
    },

    async thumbnails(p) {
      return { thumbs: await thumbnailsOf(p.paths, p.size) };
    },

    async backbones() {
      return { backbones: BUILT_IN_BACKBONES };
    },

    async layers(p) {
      await backend();
      const b = await getBackbone(p.backbone, { weightsCacheDir: p.weightsCacheDir });
      return { backbone: b.name, defaultLayer: defaultMapLayer(b), layers: mapLayers(b) };
    },

    async activations(p) {
      await backend();
      const b = await getBackbone(p.backbone, { weightsCacheDir: p.weightsCacheDir });
      return activationGrid(b, p.image, p.layer, p.maxMaps);
    },

    async filters(p) {
      await backend();
      const b = await getBackbone(p.backbone, { weightsCacheDir: p.weightsCacheDir });
      return filterGrid(b, p.layer, p.maxFilters);
    },
  };
  if (config.testHooks) {
    handlers.sleep = async ({ ms, busy }, ctx) => {
      const started = Date.now();
      // `busy`: a synchronous loop that cannot see Cancel (like a long native call).
      if (busy) while (Date.now() - started < ms);
      while (Date.now() - started < ms) {
        if (ctx.signal.aborted) throw new FttlError('cancelled', 'Cancelled by the user.');
        await new Promise((r) => setTimeout(r, 10));
      }
      return { slept: Date.now() - started };
    };
    handlers.crash = async ({ how }) => {
      if (how === 'exit') process.exit(3);
      setTimeout(() => {
        throw new Error('simulated crash');
      });
      return {};
    };
  }
  return handlers;
}

function dataOptions(p: Omit<BaseFeatureOptions, 'featureCacheDir' | 'onProgress' | 'signal'> & { workDir: string }) {
  return {
    train: p.train,
    test: p.test,
    backbone: p.backbone,
    layer: p.layer,
    pooling: p.pooling,
    resizeMode: p.resizeMode,
    seed: p.seed,
    testFraction: p.testFraction,
    valFraction: p.valFraction,
    featureCacheDir: defaultFeatureCacheDir(p.workDir),
    weightsCacheDir: p.weightsCacheDir,
    batchSize: p.batchSize,
  };
}
