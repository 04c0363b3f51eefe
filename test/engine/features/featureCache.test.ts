import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FeatureCache, extractorKeyHash, hashFile, type ExtractorKey } from '../../../src/engine/features/featureCache.js';

const key: ExtractorKey = { backboneId: 'mobilenet@abc', layer: 'out_relu', pooling: 'avg', inputSize: 224, resizeMode: 'stretch', preprocess: 'tf' };

test('vectors round-trip bit for bit, keyed by extractor and content', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fttl-fc-'));
  const cache = new FeatureCache(root, key, 3);
  const v = new Float32Array([1.5, -2.25, Math.PI]);
  await cache.put('ab'.repeat(32), v);
  assert.deepEqual(await cache.get('ab'.repeat(32)), v);
  assert.equal(await cache.get('cd'.repeat(32)), undefined);
  // Another layer is another extractor: no hit.
  const other = new FeatureCache(root, { ...key, layer: 'block_16_project' }, 3);
  assert.equal(await other.get('ab'.repeat(32)), undefined);
  assert.notEqual(extractorKeyHash(key), extractorKeyHash({ ...key, resizeMode: 'crop' }));
});

test('a damaged entry is treated as absent, not trusted', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fttl-fc-'));
  const cache = new FeatureCache(root, key, 4);
  const hash = 'ef'.repeat(32);
  await cache.put(hash, new Float32Array([1, 2, 3, 4]));
  await writeFile(join(root, extractorKeyHash(key), 'ef', `${hash}.f32`), Buffer.alloc(6));
  assert.equal(await cache.get(hash), undefined);
});

test('no temporary files are left behind', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fttl-fc-'));
  const cache = new FeatureCache(root, key, 2);
  await Promise.all([...Array(20).keys()].map((i) => cache.put(i.toString(16).padStart(64, '0'), new Float32Array([i, i]))));
  const files = await readdir(join(root, extractorKeyHash(key), '00'));
  assert.equal(files.length, 20);
  assert.ok(files.every((f) => f.endsWith('.f32')));
});

test('hashFile hashes content, not the name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-fc-'));
  await writeFile(join(dir, 'a.png'), 'same');
  await writeFile(join(dir, 'b.png'), 'same');
  assert.equal(await hashFile(join(dir, 'a.png')), await hashFile(join(dir, 'b.png')));
  assert.equal(await hashFile(join(dir, 'a.png')), '0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5');
});
