import type { Command } from 'commander';
import { listRuns, readRun, resolveRun } from '../../engine/runs/runStore.js';
import { comparisonRows, formatComparison } from '../../engine/runs/compareRuns.js';
import { addCommonOptions, runCommand, type CommonOptions } from '../context.js';

export function registerRuns(program: Command): void {
  addCommonOptions(program.command('runs').description('list the runs in the work folder')).action(async (opts: CommonOptions) => {
    await runCommand(opts, async (ctx) => {
      const runs = await listRuns(ctx.runsDir);
      const text = runs.length
        ? runs.map((r) => `${r.id}  ${r.model}  acc ${r.accuracy.toFixed(3)}  kappa ${r.kappa.toFixed(3)}`).join('\n')
        : `No runs in ${ctx.runsDir} yet.`;
      return { json: { runs }, text };
    });
  });

  addCommonOptions(
    program
      .command('compare')
      .description("the seed's comparison table (model, accuracy, quadratic kappa) for some or all runs")
      .argument('[runs...]', 'run ids, folders or "latest" (default: all runs)'),
  ).action(async (refs: string[], opts: CommonOptions) => {
    await runCommand(opts, async (ctx) => {
      const dirs = refs.length ? await Promise.all(refs.map((r) => resolveRun(ctx.runsDir, r))) : (await listRuns(ctx.runsDir)).map((r) => r.dir);
      const rows = comparisonRows(await Promise.all(dirs.map(readRun)));
      return { json: { rows }, text: rows.length ? formatComparison(rows) : `No runs in ${ctx.runsDir} yet.` };
    });
  });
}
