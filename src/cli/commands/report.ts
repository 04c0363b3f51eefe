import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { listRuns, resolveRun } from '../../engine/runs/runStore.js';
import { atomicWriteFile } from '../../engine/util/atomicWrite.js';
import { FttlError } from '../../engine/util/errors.js';
import { standaloneReportHtml } from '../../shared/reportHtml.js';
import { buildReportData } from '../../worker/reportData.js';
import { addCommonOptions, parseIntOption, runCommand, type CommonOptions } from '../context.js';

/** dist/webview.js and dist/webview.css of this FTTL installation (the VS Code report's renderer). */
export function webviewAssets(from = dirname(fileURLToPath(import.meta.url))): { script: string; css: string } {
  for (let dir = from; ; dir = dirname(dir)) {
    const script = join(dir, 'dist', 'webview.js');
    if (existsSync(join(dir, 'package.json')) && existsSync(script)) {
      return { script: readFileSync(script, 'utf8'), css: readFileSync(join(dir, 'dist', 'webview.css'), 'utf8') };
    }
    if (dirname(dir) === dir) throw new FttlError('internal', 'The report renderer (dist/webview.js) is not built: run `npm run build` in the FTTL folder.');
  }
}

export function registerReport(program: Command): void {
  const cmd = program
    .command('report')
    .description("a run's report (confusion matrix, kappas, classification report, ROC AUC, curves, misclassified gallery, embedding map) as one self-contained HTML file")
    .argument('<run>', 'run id, folder or "latest"')
    .requiredOption('--html <file>', 'where to write the HTML file')
    .option('--compare <runs...>', 'add the comparison table of these runs (ids, folders, or "all")')
    .option('--thumbnails <n>', 'most image thumbnails to embed', parseIntOption, 400)
    .option('--no-embedding', 'leave out the embedding map (it loads the backbone)');
  addCommonOptions(cmd).action(async (ref: string, opts: CommonOptions & { html: string; compare?: string[]; thumbnails: number; embedding: boolean }) => {
    await runCommand(opts, async (ctx) => {
      const runDir = await resolveRun(ctx.runsDir, ref);
      let compareWith: string[] | undefined;
      if (opts.compare?.length) {
        if (opts.compare.includes('all')) compareWith = (await listRuns(ctx.runsDir)).map((r) => r.dir);
        else compareWith = await Promise.all(opts.compare.map((r) => resolveRun(ctx.runsDir, r)));
      }
      const data = await buildReportData(runDir, {
        workDir: resolve(opts.workdir),
        weightsCacheDir: opts.weightsCache,
        thumbnails: Math.max(0, opts.thumbnails),
        embedding: opts.embedding,
        compareWith,
        signal: ctx.signal,
        log: ctx.log,
      });
      const { script, css } = webviewAssets();
      const html = standaloneReportHtml({ data, script, css, nonce: randomBytes(16).toString('base64url') });
      const file = resolve(opts.html);
      await atomicWriteFile(file, html);
      const m = data.record.metrics;
      return {
        json: { runId: data.record.id, file, bytes: Buffer.byteLength(html), accuracy: m.accuracy, kappa: m.kappa, thumbnails: Object.keys(data.thumbs).length, embedding: data.embedding !== null },
        text: `Report of ${data.record.id} (${data.record.model}: accuracy ${m.accuracy.toFixed(3)}, quadratic kappa ${m.kappa.quadratic.toFixed(3)}) written to ${file} (${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB, self-contained).`,
      };
    });
  });
}
