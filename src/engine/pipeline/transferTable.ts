import { headPreset, type HeadKind } from '../heads/index.js';
import { comparisonRows, type ComparisonRow } from '../runs/compareRuns.js';
import { prepareFeatures } from './prepareFeatures.js';
import { transferRun, type RunResult, type TransferRunOptions } from './transferRun.js';

/**
 * The seed's transfer-learning table: one feature extraction, then each head trained and
 * evaluated on the same vectors and the same test split.
 */
export async function transferTable(
  opts: Omit<TransferRunOptions, 'head'>,
  heads: HeadKind[] = ['lr', 'mlp1', 'mlp2'],
): Promise<{ runs: RunResult[]; rows: ComparisonRow[] }> {
  const prepared = await prepareFeatures(opts);
  const runs: RunResult[] = [];
  for (const kind of heads) runs.push(await transferRun({ ...opts, head: headPreset(kind, { seed: opts.seed }) }, prepared));
  return { runs, rows: comparisonRows(runs.map((r) => r.record)) };
}
