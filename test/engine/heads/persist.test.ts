import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { headPreset, loadHead, predictProba, saveHead, trainHead, type TrainedHead } from '../../../src/engine/heads/index.js';
import { blobs } from './toyData.js';

let root: string;
before(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'fttl-heads-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const data = blobs([20, 20, 20], 6, 3, 9);

async function trained(kind: 'lr' | 'mlp1' | 'mlp2'): Promise<TrainedHead> {
  const cfg = kind === 'lr' ? headPreset('lr') : headPreset(kind, { hidden: kind === 'mlp1' ? [8] : [8, 4], epochs: 3, batchSize: 8, earlyStopping: { patience: 5 } });
  return trainHead({ ...data, numClasses: 3, val: kind === 'lr' ? undefined : data, config: cfg });
}

test('save/load round trip gives identical predictions and metadata (lr, mlp1 with BatchNorm, mlp2)', async () => {
  for (const kind of ['lr', 'mlp1', 'mlp2'] as const) {
    const head = await trained(kind);
    const dir = join(root, `round-${kind}`);
    await saveHead(head, dir);
    assert.deepEqual((await readdir(dir)).sort(), ['head.json', 'model.json', 'weights.bin']);
    const before = tf.memory().numTensors;
    const loaded = await loadHead(dir);
    assert.deepEqual(predictProba(loaded.model, data.x), predictProba(head.model, data.x));
    const { model: _a, ...meta } = head;
    const { model: _b, ...loadedMeta } = loaded;
    assert.deepEqual(loadedMeta, meta);
    loaded.model.dispose();
    assert.equal(tf.memory().numTensors, before, `${kind}: loading leaked tensors`);
    head.model.dispose();
  }
  // Nothing but the saved folders is left beside them (no tmp folders).
  assert.deepEqual((await readdir(root)).sort(), ['round-lr', 'round-mlp1', 'round-mlp2']);
});

test('saving over an existing head replaces it; saving over a foreign folder is refused', async () => {
  const dir = join(root, 'replace');
  const lr = await trained('lr');
  const mlp = await trained('mlp2');
  await saveHead(lr, dir);
  await saveHead(mlp, dir);
  const loaded = await loadHead(dir);
  assert.equal(loaded.config.kind, 'mlp2');
  assert.deepEqual(predictProba(loaded.model, data.x), predictProba(mlp.model, data.x));
  loaded.model.dispose();

  const foreign = join(root, 'foreign');
  await mkdir(foreign);
  await writeFile(join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(saveHead(lr, foreign), { name: 'FttlError', kind: 'bad-input', message: /not a saved head/ });
  assert.deepEqual(await readdir(foreign), ['notes.txt']);
  lr.model.dispose();
  mlp.model.dispose();
});

test('a failed save leaves no half-written head and no tmp folder', async () => {
  const head = await trained('lr');
  const parent = join(root, 'failing');
  await mkdir(parent);
  // A file where the head's parent folder should be: the save cannot create its tmp folder.
  await writeFile(join(parent, 'blocker'), 'x');
  await assert.rejects(saveHead(head, join(parent, 'blocker', 'head')), { name: 'FttlError', kind: 'bad-input', message: /Could not save/ });
  assert.deepEqual(await readdir(parent), ['blocker']);
  head.model.dispose();
});

test('loadHead on a missing or corrupt folder throws a clear FttlError', async () => {
  const head = await trained('mlp1');
  const good = join(root, 'good');
  await saveHead(head, good);
  head.model.dispose();
  const files = Object.fromEntries(
    await Promise.all(['head.json', 'model.json', 'weights.bin'].map(async (f) => [f, await readFile(join(good, f))] as const)),
  );
  const variant = async (name: string, change: Record<string, Buffer | string | null>) => {
    const dir = join(root, name);
    await mkdir(dir);
    for (const [f, content] of Object.entries({ ...files, ...change })) if (content !== null) await writeFile(join(dir, f), content);
    return dir;
  };
  const headJson = JSON.parse(files['head.json']!.toString()) as Record<string, unknown>;
  const cases: [string, Promise<string> | string, string, RegExp][] = [
    ['missing folder', join(root, 'nope'), 'bad-input', /does not exist/],
    ['empty folder', variant('empty', { 'head.json': null, 'model.json': null, 'weights.bin': null }), 'weights', /head\.json is missing/],
    ['head.json not JSON', variant('garbled', { 'head.json': '{"format": "fttl-he' }), 'weights', /not valid JSON/],
    ['head.json wrong format', variant('format', { 'head.json': JSON.stringify({ ...headJson, format: 'other' }) }), 'weights', /"format"/],
    ['head.json bad config', variant('config', { 'head.json': JSON.stringify({ ...headJson, config: { kind: 'svm' } }) }), 'weights', /"kind"/],
    ['head.json bad history', variant('history', { 'head.json': JSON.stringify({ ...headJson, history: [{ epoch: 'x' }] }) }), 'weights', /"history"/],
    ['head.json wrong dim', variant('dim', { 'head.json': JSON.stringify({ ...headJson, dim: 7 }) }), 'weights', /7-d/],
    ['model.json missing', variant('nomodel', { 'model.json': null }), 'weights', /model\.json is missing/],
    ['model.json not a model', variant('badmodel', { 'model.json': '{"hello": 1}' }), 'weights', /not a TF\.js Layers model/],
    ['weights.bin truncated', variant('short', { 'weights.bin': files['weights.bin']!.subarray(0, 100) }), 'weights', /holds 100 bytes/],
    ['weights.bin missing', variant('noweights', { 'weights.bin': null }), 'weights', /weights\.bin/],
  ];
  const before = tf.memory().numTensors;
  for (const [what, dir, kind, message] of cases) {
    await assert.rejects(loadHead(await dir), { name: 'FttlError', kind, message }, what);
  }
  assert.equal(tf.memory().numTensors, before);
});
