// transferRun and finetuneRun report each finished epoch as a structured record (Progress.epoch),
// the same records the run keeps as its history — what the extension's live curves draw.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { headPreset } from '../../../src/engine/heads/index.js';
import { finetuneRun } from '../../../src/engine/pipeline/finetuneRun.js';
import { transferRun } from '../../../src/engine/pipeline/transferRun.js';
import { readRun } from '../../../src/engine/runs/runStore.js';
import type { Progress } from '../../../src/engine/util/progress.js';
import { mobilenet025, retina, retinaSubset, smallRunOptions } from '../finetune/fixtures.js';

process.env.FTTL_RUNTIME = 'tfjs';

const h5 = mobilenet025;
const skip = retina.skip || h5.skip;
let dir: string;
let train: string;
let testSet: string;

before(async () => {
  await initBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'fttl-epoch-progress-'));
  if (skip) return;
  train = await retinaSubset(dir, 'train', [4, 4, 4, 4, 4]);
  testSet = await retinaSubset(dir, 'val', [1, 1, 1, 1, 1]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const common = () => smallRunOptions(dir, train, testSet);

/** The epoch reports, and a check that every other report carries none. */
function collect() {
  const all: Progress[] = [];
  return { all, onProgress: (p: Progress) => all.push(p), epochs: () => all.filter((p) => p.epoch) };
}

for (const kind of ['mlp1', 'lr'] as const) {
  test(`transferRun (${kind}) reports each epoch's record, equal to the run's history`, { skip }, async () => {
    const head = kind === 'lr' ? headPreset('lr', { maxIter: 5 }) : headPreset('mlp1', { epochs: 3, seed: 2 });
    const c = collect();
    const r = await transferRun({ ...common(), head, onProgress: c.onProgress } as Parameters<typeof transferRun>[0]);
    const epochs = c.epochs();
    assert.ok(r.record.history.length > 0);
    assert.deepEqual(epochs.map((p) => p.epoch!.record), r.record.history);
    assert.deepEqual(epochs.map((p) => p.epoch!.record), (await readRun(r.runDir)).history, 'as stored in run.json');
    const total = kind === 'lr' ? 5 : 3;
    for (const p of epochs) {
      assert.equal(p.phase, `train ${kind}`);
      assert.equal(p.epoch!.total, total);
      assert.equal(p.done, p.epoch!.record.epoch);
      assert.match(p.message!, /^loss \d/, 'the CLI still gets its text');
    }
  });
}

test('finetuneRun reports each epoch\'s record (not its batches), equal to the run\'s history', { skip }, async () => {
  const c = collect();
  const r = await finetuneRun({ ...common(), finetune: { epochs: 2, batchSize: 8, learningRate: 0.01 }, onProgress: c.onProgress });
  const epochs = c.epochs();
  assert.equal(r.record.history.length, 2);
  assert.deepEqual(epochs.map((p) => p.epoch!.record), r.record.history);
  assert.deepEqual(epochs.map((p) => p.epoch!.record), (await readRun(r.runDir)).history, 'as stored in run.json');
  for (const p of epochs) {
    assert.equal(p.phase, 'fine-tune');
    assert.equal(p.epoch!.total, 2);
    assert.match(p.message!, new RegExp(`^epoch ${p.epoch!.record.epoch}/2 done · loss `), 'the CLI still gets its text');
  }
  assert.ok(c.all.some((p) => p.phase === 'fine-tune' && !p.epoch && /batch/.test(p.message ?? '')), 'batch reports carry no record');
});
