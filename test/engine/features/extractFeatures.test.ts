import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { extractFeatures } from '../../../src/engine/features/extractFeatures.js';
import { FeatureCache } from '../../../src/engine/features/featureCache.js';
import { tfjsRunner } from '../../../src/engine/inference/tfjsRunner.js';
import type { ImageItem } from '../../../src/engine/data/dataset.js';
import type { Progress } from '../../../src/engine/util/progress.js';

/** A real (tiny) network: 16×16 RGB → mean colour per channel after x/127.5 − 1. */
function meanColourModel(): tf.LayersModel {
  const input = tf.input({ shape: [16, 16, 3] });
  const out = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

async function solidImages(dir: string, colours: [number, number, number][]): Promise<ImageItem[]> {
  return Promise.all(
    colours.map(async ([r, g, b], i) => {
      const path = join(dir, `img${i}.png`);
      await sharp({ create: { width: 20, height: 12, channels: 3, background: { r, g, b } } }).png().toFile(path);
      return { path, label: i % 2 };
    }),
  );
}

test('batches, caches, and lists unreadable images without failing', async () => {
  await tf.setBackend('cpu');
  const dir = await mkdtemp(join(tmpdir(), 'fttl-ex-'));
  const colours: [number, number, number][] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [128, 64, 255], [0, 0, 0]];
  const items = await solidImages(dir, colours);
  const broken = join(dir, 'broken.png');
  await writeFile(broken, 'nope');
  items.splice(2, 0, { path: broken, label: 0 });
  const runner = tfjsRunner(meanColourModel(), 'tf', 16);
  const cache = new FeatureCache(join(dir, 'cache'), { backboneId: 'mean', layer: 'gap', pooling: 'none', inputSize: 16, resizeMode: 'stretch', preprocess: 'tf' }, 3);
  const progress: Progress[] = [];
  const before = tf.memory().numTensors;

  const first = await extractFeatures({ items, runner, cache, resizeMode: 'stretch', batchSize: 2, onProgress: (p) => progress.push(p) });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(first.features.rows, 5);
  assert.deepEqual(first.items.map((i) => i.path), items.filter((i) => i.path !== broken).map((i) => i.path));
  assert.equal(first.skipped.length, 1);
  assert.equal(first.skipped[0]!.path, broken);
  assert.match(first.skipped[0]!.reason, /not an image or corrupt/);
  const expected = colours.flatMap((c) => c.map((v) => v / 127.5 - 1));
  Array.from(first.features.data).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${i}: ${v} vs ${expected[i]}`));
  assert.deepEqual(progress.map((p) => p.done), [0, 2, 4, 6]);
  assert.equal(first.extracted, 5);

  // Re-run: everything from the cache, same numbers.
  const second = await extractFeatures({ items, runner, cache, resizeMode: 'stretch', batchSize: 2 });
  assert.equal(second.fromCache, 5);
  assert.equal(second.extracted, 0);
  assert.deepEqual(second.features.data, first.features.data);
});

test('cancellation stops between batches with the cancelled error', async () => {
  await tf.setBackend('cpu');
  const dir = await mkdtemp(join(tmpdir(), 'fttl-ex-'));
  const items = await solidImages(dir, Array.from({ length: 6 }, (_, i) => [i * 40, 0, 0] as [number, number, number]));
  const controller = new AbortController();
  const runner = tfjsRunner(meanColourModel(), 'tf', 16);
  await assert.rejects(
    extractFeatures({
      items, runner, resizeMode: 'stretch', batchSize: 2, signal: controller.signal,
      onProgress: (p) => { if (p.done === 2) controller.abort(); },
    }),
    (err: Error & { kind?: string }) => err.kind === 'cancelled',
  );
});
