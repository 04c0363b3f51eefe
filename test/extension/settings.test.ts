import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSettings, resolveWorkDir } from '../../src/extension/settings.js';

const getter = (values: Record<string, unknown>) => <T>(key: string) => values[key] as T | undefined;

test('defaults match the CLI', () => {
  const s = readSettings(getter({}));
  assert.deepEqual({ ...s, head: undefined, finetune: undefined }, {
    backbone: 'default',
    weightsCache: undefined,
    batchSize: 16,
    seed: 1,
    backend: 'auto',
    workDir: '.fttl',
    resizeMode: 'stretch',
    testFraction: 0.3,
    valFraction: 0.1,
    topK: 3,
    head: undefined,
    finetune: undefined,
  });
});

test('bad values fall back to the defaults instead of reaching the engine', () => {
  const s = readSettings(getter({ batchSize: -3, seed: 1.5, backend: 'tpu', resizeMode: 'squash', testFraction: 1.5, backbone: '  ', 'head.mlp1': [1] }));
  assert.equal(s.batchSize, 16);
  assert.equal(s.seed, 1);
  assert.equal(s.backend, 'auto');
  assert.equal(s.resizeMode, 'stretch');
  assert.equal(s.testFraction, 0.3);
  assert.equal(s.backbone, 'default');
  assert.deepEqual(s.head.mlp1, {});
});

test('settings are read, and the work folder is relative to the workspace', () => {
  const s = readSettings(getter({ backbone: 'vgg16', backend: 'wasm', batchSize: 4, 'head.lr': { C: 0.5 }, workDir: 'out/fttl' }));
  assert.equal(s.backbone, 'vgg16');
  assert.equal(s.backend, 'wasm');
  assert.deepEqual(s.head.lr, { C: 0.5 });
  assert.doesNotThrow(() => structuredClone(readSettings(getter({ finetune: new Proxy({ epochs: 2 }, {}) })).finetune), 'object settings are plain copies');
  assert.equal(resolveWorkDir(s, '/ws', '/global'), '/ws/out/fttl');
  assert.equal(resolveWorkDir(s, undefined, '/global'), '/global/out/fttl');
  assert.equal(resolveWorkDir({ workDir: '/abs' }, '/ws', '/g'), '/abs');
});
