import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PendingRun, listRuns, newRunId, readRun, resolveRun, INDEX_FILE } from '../../../src/engine/runs/runStore.js';
import type { RunRecord } from '../../../src/engine/runs/runRecord.js';
import { comparisonRows, formatComparison } from '../../../src/engine/runs/compareRuns.js';

export function fakeRecord(id: string, accuracy: number, quadratic: number): RunRecord {
  return {
    formatVersion: 1,
    id,
    kind: 'transfer',
    model: `MLP-1 · test ${id}`,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, accuracy * 10)).toISOString(),
    config: {
      train: '/data', test: null, backbone: 'default', backboneId: 'b@1', backboneName: 'B', layer: 'l', pooling: 'avg',
      resizeMode: 'stretch', inputSize: 224, preprocess: 'tf', seed: 1, testFraction: 0.3, valFraction: 0.1, head: { kind: 'mlp1' },
    },
    dataset: { fingerprint: 'f', splitSource: 'stratified', classes: ['a', 'b'], counts: { train: [1, 1], val: [0, 0], test: [1, 1] } },
    skipped: [],
    backend: { name: 'cpu', threads: 1, runtime: 'tfjs-cpu' },
    timings: { totalSeconds: 1 },
    featureDim: 4,
    history: [],
    bestEpoch: null,
    metrics: {
      classes: ['a', 'b'], count: 2, accuracy, kappa: { unweighted: 0, linear: 0, quadratic }, confusionMatrix: [[1, 0], [0, 1]],
      report: { perClass: [], macro: { precision: 1, recall: 1, f1: 1, support: 2 }, weighted: { precision: 1, recall: 1, f1: 1, support: 2 }, accuracy },
      auc: null, aucPerClass: [null, null],
    },
    headDir: 'head',
  };
}

test('a committed run appears in the index; an abandoned one leaves nothing', async () => {
  const runsDir = await mkdtemp(join(tmpdir(), 'fttl-runs-'));
  const a = await PendingRun.start(runsDir, 'run-a');
  const dirA = await a.commit(fakeRecord('run-a', 0.5, 0.4), []);
  const b = await PendingRun.start(runsDir, 'run-b');
  await writeFile(join(b.stagingDir, 'partial.bin'), 'x');
  await b.abandon();
  assert.deepEqual((await readdir(runsDir)).sort(), [INDEX_FILE, 'run-a']);
  const index = JSON.parse(await readFile(join(runsDir, INDEX_FILE), 'utf8'));
  assert.deepEqual(index.runs.map((r: { id: string }) => r.id), ['run-a']);
  assert.equal((await readRun(dirA)).metrics.accuracy, 0.5);
});

test('listRuns ignores damaged and foreign folders; resolveRun finds by id, prefix, latest, and says when ambiguous', async () => {
  const runsDir = await mkdtemp(join(tmpdir(), 'fttl-runs-'));
  for (const [id, acc] of [['20260101-a1', 0.1], ['20260101-a2', 0.2], ['20260102-b', 0.3]] as const) {
    await (await PendingRun.start(runsDir, id)).commit(fakeRecord(id, acc, acc), []);
  }
  await mkdir(join(runsDir, 'damaged'));
  await writeFile(join(runsDir, 'damaged', 'run.json'), '{"id": 3');
  assert.deepEqual((await listRuns(runsDir)).map((r) => r.id), ['20260101-a1', '20260101-a2', '20260102-b']);
  assert.equal(await resolveRun(runsDir, 'latest'), join(runsDir, '20260102-b'));
  assert.equal(await resolveRun(runsDir, '20260101-a2'), join(runsDir, '20260101-a2'));
  await assert.rejects(resolveRun(runsDir, '20260101-a'), /matches 2 runs/);
  await assert.rejects(resolveRun(runsDir, 'nope'), /No run "nope"/);
  await assert.rejects(readRun(join(runsDir, 'damaged')), /not valid JSON/);
});

test('newRunId is sortable by time and readable', () => {
  const id = newRunId('MLP1 on VGG-16', new Date(Date.UTC(2026, 11, 4, 17, 5, 9)));
  assert.match(id, /^20261204-170509-mlp1-on-vgg-16-[0-9a-f]{4}$/);
});

test("the comparison table shows the seed's columns", () => {
  const text = formatComparison(comparisonRows([fakeRecord('r1', 0.667, 0.746), fakeRecord('r2', 0.363, 0.511)]));
  const lines = text.split('\n');
  assert.match(lines[0]!, /^Model\s+Accuracy\s+Kappa \(quadratic\)/);
  assert.match(lines[2]!, /0\.667\s+0\.746/);
  assert.match(lines[3]!, /0\.363\s+0\.511/);
});
