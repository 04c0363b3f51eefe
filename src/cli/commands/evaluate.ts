import type { Command } from 'commander';
import { evaluateRun } from '../../engine/pipeline/evaluateRun.js';
import { resolveRun } from '../../engine/runs/runStore.js';
import { formatClassificationReport } from '../../engine/metrics/classificationReport.js';
import { addCommonOptions, parseIntOption, runCommand, type CommonOptions } from '../context.js';

export function registerEvaluate(program: Command): void {
  const cmd = program
    .command('evaluate')
    .description("score a finished run's model on another labelled image set with the same classes")
    .requiredOption('--run <id|dir|latest>', 'the run to evaluate')
    .requiredOption('--test <folder|csv>', 'labelled images (class sub-folders or a CSV of image,level)')
    .option('--batch-size <n>', 'images per forward pass', parseIntOption, 16);
  addCommonOptions(cmd).action(async (opts: CommonOptions & { run: string; test: string; batchSize: number }) => {
    await runCommand(opts, async (ctx) => {
      const e = await evaluateRun(await resolveRun(ctx.runsDir, opts.run), opts.test, {
        featureCacheDir: ctx.featureCacheDir,
        weightsCacheDir: opts.weightsCache,
        batchSize: opts.batchSize,
        onProgress: ctx.onProgress,
        signal: ctx.signal,
      });
      const m = e.metrics;
      const json = { runId: e.runId, test: e.test, ...m, backend: ctx.backend.name, runtime: e.runtime, skipped: e.skipped, predictions: e.predictions };
      const text = [
        `Run ${e.runId} on ${e.test}: accuracy ${m.accuracy.toFixed(3)}, kappa quadratic ${m.kappa.quadratic.toFixed(3)}, ROC AUC ${m.auc === null ? '—' : m.auc.toFixed(3)} (n=${m.count}; features by ${e.runtime})`,
        '',
        formatClassificationReport(m.report),
        ...e.skipped.map((s) => `skipped ${s.path}: ${s.reason}`),
      ].join('\n');
      return { json, text };
    });
  });
}
