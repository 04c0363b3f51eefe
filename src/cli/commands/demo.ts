import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeSyntheticFundusDataset } from '../../engine/data/synthetic.js';
import { transferTable } from '../../engine/pipeline/transferTable.js';
import { formatComparison } from '../../engine/runs/compareRuns.js';
import { addCommonOptions, parseIntOption, runCommand, type CommonOptions } from '../context.js';

const DEMO_PER_CLASS = 40;
const DEMO_SIZE = 128;

export function registerDemo(program: Command): void {
  const cmd = program
    .command('demo')
    .description("the seed's transfer-learning table (LR, MLP-1, MLP-2) on the embedded backbone and a synthetic fundus-like dataset, offline")
    .option('--data <folder|csv>', 'run it on these images instead of the synthetic set')
    .option('--backbone <name|folder|.h5>', 'backbone', 'default')
    .option('--seed <n>', 'seed', parseIntOption, 1);
  addCommonOptions(cmd).action(async (opts: CommonOptions & { data?: string; backbone: string; seed: number }) => {
    await runCommand(opts, async (ctx) => {
      let data = opts.data;
      if (!data) {
        data = join(resolve(opts.workdir), 'demo-data');
        ctx.log(`Writing the synthetic demo dataset (${DEMO_PER_CLASS} images per grade, SYNTHETIC — not real fundus photos) to ${data}`);
        await writeSyntheticFundusDataset(data, { perClass: DEMO_PER_CLASS, size: DEMO_SIZE, seed: opts.seed });
      }
      const { runs, rows } = await transferTable({
        train: data,
        backbone: opts.backbone,
        resizeMode: 'stretch',
        seed: opts.seed,
        testFraction: 0.3,
        valFraction: 0.1,
        runsDir: ctx.runsDir,
        featureCacheDir: ctx.featureCacheDir,
        weightsCacheDir: opts.weightsCache,
        batchSize: 16,
        onProgress: ctx.onProgress,
        signal: ctx.signal,
      });
      const first = runs[0]!.record;
      const trainers = [...new Set(runs.map((r) => r.record.backend.trainer).filter((t): t is string => t !== undefined))];
      const text = [
        '',
        `Data: ${data}${opts.data ? '' : ' (synthetic)'} — ${first.dataset.classes.length} classes; backbone ${first.config.backboneName}; backend ${first.backend.name}, features by ${first.backend.runtime}${trainers.length ? `, heads trained by ${trainers.join(' / ')}` : ''}`,
        '',
        formatComparison(rows),
      ].join('\n');
      return { json: { data, backend: first.backend.name, runtime: first.backend.runtime, rows, runDirs: runs.map((r) => r.runDir) }, text };
    });
  });
}
