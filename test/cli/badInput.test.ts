import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticFundusDataset } from '../../src/engine/data/synthetic.js';
import { EXIT } from '../../src/cli/exitCodes.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';

/** Bad input through the CLI: a clear message, a reliable exit code, and nothing earlier lost. */

async function smallDataset(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-bad-'));
  await writeSyntheticFundusDataset(join(dir, 'data'), { perClass: 6, size: 48, seed: 3 });
  return join(dir, 'data');
}

const train = (data: string, workdir: string, ...extra: string[]) =>
  runCli(['train', '--train', data, '--head', 'lr', '--seed', '1', '--json', '--workdir', workdir, ...extra]);

test('an unreadable image is skipped and listed with its reason; the run still completes', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  const corrupt = join(data, '2_moderate', 'corrupt.png');
  await writeFile(corrupt, 'this is not a PNG');
  const r = await train(data, workdir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const j = parseJsonOutput<{ skipped: { path: string; reason: string }[]; runDir: string }>(r);
  assert.deepEqual(j.skipped.map((s) => s.path), [corrupt]);
  assert.match(j.skipped[0]!.reason, /not an image or corrupt/);
  const record = JSON.parse(await readFile(join(j.runDir, 'run.json'), 'utf8'));
  assert.deepEqual(record.skipped, j.skipped);
});

test('an empty class folder fails with exit code 3 and names the class', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  for (const f of await readdir(join(data, '3_severe'))) await rm(join(data, '3_severe', f));
  const r = await train(data, workdir);
  assert.equal(r.code, EXIT.badInput);
  assert.match(parseJsonOutput<{ error: { message: string } }>(r).error.message, /3_severe/);
});

test('a class whose only images are unreadable fails, naming it', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  for (const f of await readdir(join(data, '1_mild'))) await writeFile(join(data, '1_mild', f), 'garbage');
  const r = await train(data, workdir);
  assert.equal(r.code, EXIT.badInput, r.stdout);
  assert.match(parseJsonOutput<{ error: { message: string } }>(r).error.message, /1_mild.*no usable images/);
});

test('a bad CSV row fails with its line number', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  const csv = join(data, 'labels.csv');
  await writeFile(csv, 'image,level\n0_no_dr/img_0000.png,0\n1_mild/img_0000.png,mild\n');
  const r = await train(csv, workdir);
  assert.equal(r.code, EXIT.badInput);
  assert.match(parseJsonOutput<{ error: { message: string } }>(r).error.message, /labels\.csv:3/);
});

test('a missing or mismatched weights file is a clear error with its own exit code', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  const missing = await train(data, workdir, '--backbone', join(workdir, 'nope', 'vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'));
  assert.notEqual(missing.code, 0);
  assert.match(parseJsonOutput<{ error: { message: string } }>(missing).error.message, /nope/);
  const notH5 = join(workdir, 'mobilenet_2_5_224_tf_no_top.h5');
  await writeFile(notH5, 'not hdf5');
  const bad = await train(data, workdir, '--backbone', notH5);
  assert.equal(bad.code, EXIT.weights);
  assert.match(parseJsonOutput<{ error: { message: string } }>(bad).error.message, /mobilenet_2_5_224_tf_no_top\.h5/);
});

test('Ctrl-C mid-extraction: exit 130, no half-written run, earlier runs and cache intact', async () => {
  const data = await smallDataset();
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-work-'));
  const first = await train(data, workdir);
  assert.equal(first.code, 0, first.stdout);
  const before = await readdir(join(workdir, 'runs'));
  const index = await readFile(join(workdir, 'runs', 'index.json'), 'utf8');

  // A second dataset needs new features; interrupt once extraction is under way.
  const other = await smallDataset();
  const r = await runCli(['train', '--train', other, '--head', 'mlp1', '--workdir', workdir, '--batch-size', '2'], {
    env: { FORCE_COLOR: '0' },
    onStderr: (text, kill) => {
      if (/extract features: [1-9]/.test(text) && !text.includes('Cancelling')) kill('SIGINT');
    },
  });
  assert.equal(r.code, EXIT.cancelled, r.stderr);
  assert.match(r.stderr, /Cancelled/);
  assert.deepEqual(await readdir(join(workdir, 'runs')), before);
  assert.equal(await readFile(join(workdir, 'runs', 'index.json'), 'utf8'), index);

  // The interrupted extraction left only whole cache entries: a re-run reuses them and succeeds.
  const again = await train(data, workdir);
  assert.equal(again.code, 0);
  assert.ok(existsSync(parseJsonOutput<{ runDir: string }>(again).runDir));
});
