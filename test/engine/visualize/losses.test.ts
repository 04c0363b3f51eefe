import { test } from 'node:test';
import assert from 'node:assert/strict';
import { confusionCell, confusionCounts, lossItems, topLosses } from '../../../src/engine/visualize/losses.js';
import type { Prediction } from '../../../src/engine/runs/runRecord.js';

const classes = ['0', '1', '2'];
const p = (path: string, label: string, probabilities: number[]): Prediction => {
  let best = 0;
  probabilities.forEach((v, i) => (v > probabilities[best]! ? (best = i) : 0));
  return { path, label, predicted: classes[best]!, probabilities };
};
const predictions: Prediction[] = [
  p('a.png', '0', [0.7, 0.2, 0.1]), // correct, loss −ln .7
  p('b.png', '0', [0.1, 0.8, 0.1]), // 0 → 1, loss −ln .1
  p('c.png', '1', [0.05, 0.15, 0.8]), // 1 → 2, loss −ln .15
  p('d.png', '0', [0.3, 0.6, 0.1]), // 0 → 1, loss −ln .3
  p('e.png', '2', [0, 1, 0]), // 2 → 1, p(true) = 0: clipped
  p('f.png', '0', [0.1, 0.8, 0.1]), // same loss as b: file order breaks the tie
];

test('top losses: −ln p(true), highest first, ties in file order; p(true) = 0 stays finite', () => {
  const items = topLosses(predictions, classes);
  assert.deepEqual(items.map((i) => i.path), ['e.png', 'b.png', 'f.png', 'c.png', 'd.png', 'a.png']);
  assert.ok(Math.abs(items[0]!.loss - -Math.log(1e-15)) < 1e-9);
  assert.ok(Math.abs(items[1]!.loss - -Math.log(0.1)) < 1e-12);
  assert.equal(items[1]!.probability, 0.8);
  assert.equal(items[1]!.trueProbability, 0.1);
  assert.equal(items[1]!.predicted, '1');
  assert.equal(items.at(-1)!.correct, true);
  assert.deepEqual(topLosses(predictions, classes, { top: 2 }).map((i) => i.path), ['e.png', 'b.png']);
  assert.deepEqual(topLosses(predictions, classes, { misclassifiedOnly: true }).map((i) => i.path), ['e.png', 'b.png', 'f.png', 'c.png', 'd.png']);
});

test('confusion cells hold exactly their images; counts match', () => {
  assert.deepEqual(confusionCell(predictions, classes, 0, 1).map((i) => i.path), ['b.png', 'f.png', 'd.png']);
  assert.deepEqual(confusionCell(predictions, classes, 1, 2).map((i) => i.path), ['c.png']);
  assert.deepEqual(confusionCell(predictions, classes, 2, 2), []);
  assert.deepEqual(confusionCounts(predictions, classes), [[1, 3, 0], [0, 0, 1], [0, 1, 0]]);
  const total = classes.flatMap((_, i) => classes.map((_, j) => confusionCell(predictions, classes, i, j).length)).reduce((a, b) => a + b);
  assert.equal(total, predictions.length);
  assert.throws(() => confusionCell(predictions, classes, 3, 0), /not one of 0–2/);
  assert.throws(() => lossItems([p('x', '7', [1, 0, 0])], classes), /class "7"/);
});
