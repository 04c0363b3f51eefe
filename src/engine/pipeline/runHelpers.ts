import type { ImageItem } from '../data/dataset.js';
import type { HeadKind } from '../heads/index.js';
import type { Prediction } from '../runs/runRecord.js';

const HEAD_LABELS: Record<HeadKind, string> = { lr: 'Logistic regression', mlp1: 'MLP-1', mlp2: 'MLP-2' };

export function headLabel(kind: HeadKind): string {
  return HEAD_LABELS[kind];
}

export function countPerClass(labels: Int32Array, numClasses: number): number[] {
  const counts = new Array<number>(numClasses).fill(0);
  for (const l of labels) counts[l]!++;
  return counts;
}

/** Arg-max predictions and the per-image record of a test split. */
export function predictionsOf(items: ImageItem[], probs: Float32Array, classes: string[]) {
  const k = classes.length;
  const rows: number[][] = [];
  const yTrue: number[] = [];
  const yPred: number[] = [];
  const predictions: Prediction[] = items.map((item, i) => {
    const row = Array.from(probs.subarray(i * k, (i + 1) * k));
    let best = 0;
    for (let c = 1; c < k; c++) if (row[c]! > row[best]!) best = c;
    rows.push(row);
    yTrue.push(item.label);
    yPred.push(best);
    return { path: item.path, label: classes[item.label]!, predicted: classes[best]!, probabilities: row };
  });
  return { predictions, yTrue, yPred, rows };
}
