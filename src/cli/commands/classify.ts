import type { Command } from 'commander';
import { classifierFromBackbone, classifierFromRun, classifyImages } from '../../engine/pipeline/classify.js';
import { defaultOnnxCacheDir } from '../../engine/pipeline/prepareFeatures.js';
import { resolveRun } from '../../engine/runs/runStore.js';
import { addCommonOptions, parseIntOption, runCommand, type CommonOptions } from '../context.js';

export function registerClassify(program: Command): void {
  const cmd = program
    .command('classify')
    .description("classify image files with a trained run, or with a backbone's own (ImageNet) top")
    .argument('<images...>', 'image files')
    .option('--run <id|dir|latest>', 'the trained run to use')
    .option('--backbone <name|folder|.h5>', 'use this backbone\'s own classification top instead of a run')
    .option('--top <k>', 'how many classes to show', parseIntOption, 3);
  addCommonOptions(cmd).action(async (images: string[], opts: CommonOptions & { run?: string; backbone?: string; top: number }) => {
    await runCommand(opts, async (ctx) => {
      const onnxCacheDir = defaultOnnxCacheDir(ctx.featureCacheDir);
      const classifier = opts.backbone && !opts.run
        ? await classifierFromBackbone(opts.backbone, { weightsCacheDir: opts.weightsCache, onnxCacheDir })
        : await classifierFromRun(await resolveRun(ctx.runsDir, opts.run ?? 'latest'), { weightsCacheDir: opts.weightsCache, onnxCacheDir });
      ctx.log(`Runtime: ${classifier.features.runtime}`);
      try {
        const results = await classifyImages(classifier, images, opts.top, ctx.signal);
        const text = results
          .map((r) => [r.path, ...r.top.map((t) => `  ${(t.probability * 100).toFixed(1).padStart(5)}%  ${t.className}`)].join('\n'))
          .join('\n');
        return { json: { results, runtime: classifier.features.runtime }, text };
      } finally {
        classifier.dispose();
      }
    });
  });
}
