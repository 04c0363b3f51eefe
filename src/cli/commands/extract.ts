import type { Command } from 'commander';
import { prepareFeatures } from '../../engine/pipeline/prepareFeatures.js';
import { addCommonOptions, runCommand, type CommonOptions } from '../context.js';
import { addDataOptions, dataRunOptions, type DataOptions } from './featureOptions.js';

export function registerExtract(program: Command): void {
  const cmd = program.command('extract').description('extract and cache feature vectors for every image of a dataset (train, val and test splits)');
  addCommonOptions(addDataOptions(cmd)).action(async (opts: CommonOptions & DataOptions) => {
    await runCommand(opts, async (ctx) => {
      const p = await prepareFeatures(dataRunOptions(opts, ctx));
      const images = p.train.items.length + p.val.items.length + p.test.items.length;
      const json = {
        backbone: p.backbone.id,
        layer: p.layer,
        pooling: p.pooling,
        dim: p.train.features.dim,
        images,
        fromCache: p.cache.fromCache,
        extracted: p.cache.extracted,
        seconds: p.seconds.extract,
        imagesPerSecond: p.cache.extracted > 0 ? p.cache.extracted / p.seconds.extract : null,
        classes: p.splits.classes,
        counts: { train: p.train.items.length, val: p.val.items.length, test: p.test.items.length },
        skipped: p.skipped,
        backend: ctx.backend.name,
        runtime: p.runtime,
        cacheDir: ctx.featureCacheDir,
      };
      const text = [
        `${images} images → ${json.dim}-d vectors from ${p.backbone.name} (${p.layer}, ${p.pooling}): ${json.extracted} computed, ${json.fromCache} from cache, ${json.seconds.toFixed(1)} s on ${p.runtime}`,
        ...(p.runtimeNote ? [`(onnxruntime not used: ${p.runtimeNote})`] : []),
        `splits: train ${json.counts.train}, val ${json.counts.val}, test ${json.counts.test}`,
        ...p.skipped.map((s) => `skipped ${s.path}: ${s.reason}`),
        `cache: ${ctx.featureCacheDir}`,
      ].join('\n');
      return { json, text };
    });
  });
}
