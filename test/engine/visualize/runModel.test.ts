import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunRecord } from '../../../src/engine/runs/runRecord.js';
import { PendingRun } from '../../../src/engine/runs/runStore.js';
import { gradCam } from '../../../src/engine/visualize/gradCam.js';
import { runModel } from '../../../src/engine/visualize/runModel.js';

/** A TF.js Layers model folder (model.json + weights.bin), as fine-tuning runs save their end-to-end model. */
async function saveFolder(model: tf.LayersModel, dir: string): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts!.weightData!)));
  await writeFile(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }] }));
}

test('runModel loads a fine-tune run\'s end-to-end model; Grad-CAM on it equals Grad-CAM on the model in memory', async () => {
  const input = tf.input({ shape: [12, 12, 3] });
  const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'block_conv', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(conv) as tf.SymbolicTensor;
  const probs = tf.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: probs });
  const work = await mkdtemp(join(tmpdir(), 'fttl-vis-ft-'));
  try {
    const pending = await PendingRun.start(join(work, 'runs'), 'ft-run');
    await saveFolder(model, join(pending.stagingDir, 'model'));
    const classes = ['a', 'b', 'c'];
    const record: RunRecord = {
      formatVersion: 1, id: 'ft-run', kind: 'finetune', model: 'FT', createdAt: new Date().toISOString(),
      config: { train: '/x', test: null, backbone: 'custom', backboneId: 'c@1', backboneName: 'C', layer: 'pool', pooling: 'none', resizeMode: 'stretch', inputSize: 12, preprocess: 'unit', seed: 1, testFraction: 0.3, valFraction: 0.1, head: { kind: 'lr' } },
      dataset: { fingerprint: 'f', splitSource: 'folders', classes, counts: { train: [0, 0, 0], val: [0, 0, 0], test: [0, 0, 0] } },
      skipped: [], backend: { name: 'cpu', threads: 1, runtime: 'tfjs-cpu' }, timings: {}, featureDim: 4, history: [], bestEpoch: null,
      metrics: {
        classes, count: 0, accuracy: 0, kappa: { unweighted: 0, linear: 0, quadratic: 0 }, confusionMatrix: [[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        report: { perClass: [], macro: { precision: 0, recall: 0, f1: 0, support: 0 }, weighted: { precision: 0, recall: 0, f1: 0, support: 0 }, accuracy: 0 },
        auc: null, aucPerClass: [null, null, null],
      },
      headDir: 'model',
    };
    const runDir = await pending.commit(record, []);
    const before = tf.memory().numTensors;
    const rm1 = await runModel(runDir);
    assert.deepEqual([rm1.camLayer, rm1.inputSize, rm1.preprocess, rm1.classes], ['block_conv', 12, 'unit', classes]);
    const pixels = Float32Array.from({ length: 12 * 12 * 3 }, (_, i) => (i * 37) % 256);
    const image = { pixels, height: 12, width: 12, preprocess: rm1.preprocess };
    const a = await gradCam(rm1.model, undefined, image, 1);
    const b = await gradCam(model, 'block_conv', image, 1);
    assert.deepEqual(a.heatmap, b.heatmap);
    assert.deepEqual(a.probabilities, b.probabilities);
    rm1.dispose();
    rm1.dispose(); // twice is harmless
    assert.equal(tf.memory().numTensors, before);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
