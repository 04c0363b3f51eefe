// End to end on real data, through the CLI as a user runs it: RetinaMNIST fundus photos (a subset,
// upscaled 28 → 224 px) and the real TF.js MobileNet v1 α0.75: a transfer MLP-1 run, FT#1 (random
// head), FT#2 (that run's head), compared in one table, and a fine-tuned run classifying a file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mobilenetV1, retina, retinaSubset } from './fixtures.js';

const skip = retina.skip || mobilenetV1.skip;
let dir: string;
let train: string;
let testSet: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fttl-finetune-retina-'));
  if (skip) return;
  train = await retinaSubset(dir, 'train', [10, 8, 8, 8, 6]);
  testSet = await retinaSubset(dir, 'val', [4, 3, 3, 3, 2]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fttl(...args: string[]): { json: Record<string, unknown>; status: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--json', '--workdir', join(dir, 'work'), '--backend', 'wasm'], {
    encoding: 'utf8',
    env: { ...process.env, FTTL_HOME: '' },
  });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`fttl ${args[0]} printed no JSON (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
  return { json, status: r.status ?? -1 };
}

test('fttl finetune on RetinaMNIST with MobileNet v1: FT#1 and FT#2 after an MLP-1 run, compared, classifying end to end', { skip }, () => {
  const data = ['--train', train, '--test', testSet, '--backbone', mobilenetV1.path, '--seed', '1'];
  const transfer = fttl('train', ...data, '--head', 'mlp1', '--epochs', '10');
  assert.equal(transfer.status, 0, JSON.stringify(transfer.json));

  const ft1 = fttl('finetune', ...data, '--epochs', '3', '--train-batch-size', '16', '--learning-rate', '0.001');
  assert.equal(ft1.status, 0, JSON.stringify(ft1.json));
  // The same JSON as `fttl train --json` (plus the run's status and best epoch).
  for (const key of Object.keys(transfer.json)) assert.ok(key in ft1.json, `finetune --json lacks "${key}"`);
  assert.equal(ft1.json['status'], 'complete');
  assert.match(String(ft1.json['model']), /^FT#1 MLP-1 random head · MobileNet v1 α0\.75/);
  const accuracy = ft1.json['accuracy'] as number;
  assert.ok(accuracy >= 0 && accuracy <= 1);
  assert.equal((ft1.json['predictions'] as unknown[]).length, 15);
  assert.equal(typeof (ft1.json['kappa'] as { quadratic: number }).quadratic, 'number');

  const ft2 = fttl('finetune', ...data, '--head-from', String(transfer.json['runId']), '--epochs', '2', '--train-batch-size', '16');
  assert.equal(ft2.status, 0, JSON.stringify(ft2.json));
  assert.match(String(ft2.json['model']), new RegExp(`^FT#2 MLP-1 head of ${String(transfer.json['runId'])}`));

  const compare = fttl('compare');
  const rows = compare.json['rows'] as { id: string; model: string; accuracy: number; kappa: number }[];
  assert.deepEqual(
    rows.map((r) => r.id),
    [transfer.json['runId'], ft1.json['runId'], ft2.json['runId']],
  );

  // The fine-tuned model classifies an image file end to end, as it scored it in the run (up to the
  // ~1e-5 by which onnxruntime, computing the cached prefix, and tfjs, running the saved model, differ).
  const predicted = (ft1.json['predictions'] as { path: string; probabilities: number[] }[])[0]!;
  const classified = fttl('classify', predicted.path, '--run', String(ft1.json['runId']), '--top', '5');
  assert.equal(classified.status, 0, JSON.stringify(classified.json));
  const probs = (classified.json['results'] as { probabilities: number[] }[])[0]!.probabilities;
  probs.forEach((p, k) => assert.ok(Math.abs(p - predicted.probabilities[k]!) < 1e-4, `class ${k}: ${p} vs ${predicted.probabilities[k]}`));

  // And it can be scored on another labelled set without the backbone's feature cache.
  const evaluated = fttl('evaluate', '--run', String(ft1.json['runId']), '--test', testSet);
  assert.equal(evaluated.status, 0, JSON.stringify(evaluated.json));
  assert.equal(evaluated.json['accuracy'], accuracy);

  // A head from another layer does not fit, and says why.
  const wrong = fttl('finetune', ...data, '--head-from', String(transfer.json['runId']), '--pooling', 'flatten', '--epochs', '1');
  assert.equal(wrong.status, 3);
  assert.match((wrong.json['error'] as { message: string }).message, /trained on conv_pw_13_relu \(avg\) features, but this fine-tune feeds its head conv_pw_13_relu \(flatten\)/);
});
