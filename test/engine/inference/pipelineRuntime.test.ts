// The runner factory inside the pipeline: extraction, the run record, evaluation and classification
// say which runtime computed the features; native TensorFlow keeps the tfjs runner.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/backend/selectBackend.js';
import { loadBackbone } from '../../../src/engine/backbones/backbone.js';
import { writeSyntheticFundusDataset } from '../../../src/engine/data/synthetic.js';
import { createRunner } from '../../../src/engine/inference/createRunner.js';
import { headPreset } from '../../../src/engine/heads/index.js';
import { classifierFromRun, classifyImages } from '../../../src/engine/pipeline/classify.js';
import { evaluateRun } from '../../../src/engine/pipeline/evaluateRun.js';
import { transferRun } from '../../../src/engine/pipeline/transferRun.js';

await initBackend('wasm');
const work = await mkdtemp(join(tmpdir(), 'fttl-runtime-'));
after(() => rm(work, { recursive: true, force: true }));

test('a transfer run extracts with onnxruntime and records it; evaluate and classify use it too', async () => {
  const data = join(work, 'data');
  const { files } = await writeSyntheticFundusDataset(data, { perClass: 6, size: 48, seed: 3 });
  const featureCacheDir = join(work, 'cache', 'features');
  const { record, runDir } = await transferRun({
    train: data,
    backbone: 'mobilenet_v2_0.35_96:random',
    resizeMode: 'stretch',
    head: headPreset('lr', { maxIter: 20 }),
    seed: 1,
    testFraction: 0.3,
    valFraction: 0,
    runsDir: join(work, 'runs'),
    featureCacheDir,
    batchSize: 8,
  });
  assert.equal(record.backend.runtime, 'onnxruntime-cpu');
  assert.equal(record.backend.name, 'wasm');
  assert.equal((await readdir(join(work, 'cache', 'onnx'))).filter((f) => f.endsWith('.onnx')).length, 1, 'the graph is cached beside the features');

  const e = await evaluateRun(runDir, data, { featureCacheDir, batchSize: 8 });
  assert.equal(e.runtime, 'onnxruntime-cpu');

  const classifier = await classifierFromRun(runDir, { onnxCacheDir: join(work, 'cache', 'onnx') });
  try {
    assert.equal(classifier.features.runtime, 'onnxruntime-cpu');
    const [r] = await classifyImages(classifier, [files[0]!], 2);
    assert.equal(r!.probabilities.length, 5);
  } finally {
    classifier.dispose();
  }
});

test('with native TensorFlow active (tfjs-node), the tfjs runner is used as it is', async () => {
  // Stand-in for tfjs-node: the cpu backend registered under the native backend's name.
  tf.registerBackend('tensorflow', tf.findBackendFactory('cpu')!);
  const previous = tf.getBackend();
  await tf.setBackend('tensorflow');
  try {
    const b = await loadBackbone('mobilenet_v1_0.25_32:random');
    const runner = await createRunner({ backbone: b, onnxCacheDir: join(work, 'native') });
    assert.equal(runner.runtime, 'tfjs-tensorflow');
    assert.equal(runner.fallbackReason, undefined);
    // …unless onnxruntime is asked for explicitly.
    assert.equal((await createRunner({ backbone: b, onnxCacheDir: join(work, 'native'), runtime: 'onnx' })).runtime, 'onnxruntime-cpu');
  } finally {
    await tf.setBackend(previous);
    tf.removeBackend('tensorflow');
  }
});
