import type { RunRecord } from './runRecord.js';

export interface ComparisonRow {
  id: string;
  model: string;
  accuracy: number;
  kappa: number;
  kappaLinear: number;
  auc: number | null;
  testCount: number;
}

/** The seed project's table (model, accuracy, quadratic kappa), plus AUC and test size. */
export function comparisonRows(runs: RunRecord[]): ComparisonRow[] {
  return runs.map((r) => ({
    id: r.id,
    model: r.model,
    accuracy: r.metrics.accuracy,
    kappa: r.metrics.kappa.quadratic,
    kappaLinear: r.metrics.kappa.linear,
    auc: r.metrics.auc,
    testCount: r.metrics.count,
  }));
}

/** A plain-text table for terminals and logs. */
export function formatComparison(rows: ComparisonRow[]): string {
  const header = ['Model', 'Accuracy', 'Kappa (quadratic)', 'Kappa (linear)', 'ROC AUC', 'Test n', 'Run'];
  const body = rows.map((r) => [
    r.model,
    r.accuracy.toFixed(3),
    r.kappa.toFixed(3),
    r.kappaLinear.toFixed(3),
    r.auc === null ? '—' : r.auc.toFixed(3),
    String(r.testCount),
    r.id,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 || c === 6 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
