// What a run report shows, as one value: the webview renders it inside VS Code and the CLI
// embeds it in a self-contained HTML file (`fttl report <run> --html <file>`). One renderer, two hosts.
import { z } from 'zod';
import { predictionSchema, runRecordSchema } from '../engine/runs/runRecord.js';

export const embeddingSchema = z.object({
  /** e.g. "PCA of the test features" */
  method: z.string(),
  /** One point per test image that could be read again. */
  points: z.array(z.object({ x: z.number(), y: z.number(), label: z.string(), predicted: z.string(), correct: z.boolean(), path: z.string() })),
});

export const reportDataSchema = z.object({
  formatVersion: z.literal(1),
  runDir: z.string(),
  record: runRecordSchema,
  predictions: z.array(predictionSchema),
  /** Image path → small PNG/JPEG data URL (a subset: the gallery and the first images of each cell). */
  thumbs: z.record(z.string()),
  embedding: embeddingSchema.nullable(),
  /** Seed-style comparison of selected runs (this run first), when asked for. */
  comparison: z
    .array(
      z.object({
        id: z.string(),
        model: z.string(),
        accuracy: z.number(),
        kappa: z.number(),
        kappaLinear: z.number(),
        auc: z.number().nullable(),
        testCount: z.number(),
      }),
    )
    .nullable(),
  generatedAt: z.string(),
});
export type ReportData = z.infer<typeof reportDataSchema>;

/** How many test images fall in confusion cell (true row, predicted column). */
export function cellPredictions(data: Pick<ReportData, 'predictions' | 'record'>, row: number, col: number) {
  const classes = data.record.metrics.classes;
  return data.predictions.filter((p) => p.label === classes[row] && p.predicted === classes[col]);
}

/** Cross-entropy of one prediction (for "top losses"). */
export function predictionLoss(p: { label: string; probabilities: number[] }, classes: string[]): number {
  const k = classes.indexOf(p.label);
  const prob = k >= 0 ? (p.probabilities[k] ?? 0) : 0;
  return -Math.log(Math.max(prob, 1e-12));
}

/** Misclassified test images, worst (highest loss) first. */
export function topLosses<T extends { label: string; predicted: string; probabilities: number[] }>(predictions: T[], classes: string[], limit: number): T[] {
  return predictions
    .filter((p) => p.label !== p.predicted)
    .map((p) => ({ p, loss: predictionLoss(p, classes) }))
    .sort((a, b) => b.loss - a.loss)
    .slice(0, limit)
    .map((e) => e.p);
}
