// Gathers everything a run report shows (run record, predictions, thumbnails, embedding map):
// used by the engine worker for the VS Code report and by `fttl report --html` for the file.
import { comparisonRows } from '../engine/runs/compareRuns.js';
import { readPredictions, readRun } from '../engine/runs/runStore.js';
import type { RunRecord, Prediction } from '../engine/runs/runRecord.js';
import { mapLimit } from '../engine/data/mapLimit.js';
import { topLosses, type ReportData } from '../shared/report.js';
import { thumbnail } from './images.js';
import { embeddingOf } from './vision.js';

export interface ReportOptions {
  workDir: string;
  weightsCacheDir?: string;
  /** Most thumbnails to embed (gallery first, then the first images of each confusion cell). */
  thumbnails: number;
  thumbSize?: number;
  /** Compute the embedding map (PCA of the test features; needs the backbone, reads the feature cache). */
  embedding?: boolean;
  /** Other runs for the comparison table. */
  compareWith?: string[];
  signal?: AbortSignal;
  log?: (message: string) => void;
}

export const GALLERY_SIZE = 24;
const PER_CELL = 12;

/** Which images get a thumbnail: the worst misclassified first, then a few per confusion cell. */
export function thumbnailPaths(record: RunRecord, predictions: Prediction[], limit: number): string[] {
  const classes = record.metrics.classes;
  const chosen = new Set<string>();
  for (const p of topLosses(predictions, classes, GALLERY_SIZE)) chosen.add(p.path);
  const perCell = new Map<string, number>();
  for (const p of predictions) {
    const key = `${p.label}\u0000${p.predicted}`;
    const n = perCell.get(key) ?? 0;
    if (n < PER_CELL) chosen.add(p.path);
    perCell.set(key, n + 1);
  }
  return [...chosen].slice(0, limit);
}

export async function thumbnailsOf(paths: string[], size: number): Promise<Record<string, string>> {
  const thumbs: Record<string, string> = {};
  await mapLimit(paths, 4, async (p) => {
    try {
      thumbs[p] = await thumbnail(p, size);
    } catch {
      // A missing or unreadable image simply has no thumbnail; the report names it.
    }
  });
  return thumbs;
}

export async function buildReportData(runDir: string, opts: ReportOptions): Promise<ReportData> {
  const record = await readRun(runDir);
  const predictions = await readPredictions(runDir);
  const thumbs = await thumbnailsOf(thumbnailPaths(record, predictions, opts.thumbnails), opts.thumbSize ?? 96);
  let embedding: ReportData['embedding'] = null;
  if (opts.embedding) {
    try {
      embedding = await embeddingOf(runDir, opts);
    } catch (err) {
      opts.log?.(`Embedding map left out: ${(err as Error).message}`);
    }
  }
  let comparison: ReportData['comparison'] = null;
  if (opts.compareWith?.length) {
    const others = await Promise.all(opts.compareWith.filter((d) => d !== runDir).map((d) => readRun(d)));
    comparison = comparisonRows([record, ...others]);
  }
  return { formatVersion: 1, runDir, record, predictions, thumbs, embedding, comparison, generatedAt: new Date().toISOString() };
}
