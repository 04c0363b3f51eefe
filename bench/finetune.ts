// Fine-tuning throughput: training images per second per epoch, for the unfrozen block + head on
// cached prefix outputs (what an epoch costs once the frozen part's outputs are on disk).
//   npx tsx bench/finetune.ts                                  # VGG-16 block5, MobileNet v1 α0.75 (../shared), MobileNetV2 1.0; + MLP-1
//   npx tsx bench/finetune.ts --backbone vgg16:random --images 64 --epochs 3 --batch 32 --backend wasm
// The prefix outputs are synthetic (ReLU-like, seeded) and held in memory, so disk and decoding are
// left out. Steps run on the training engine FTTL picks (onnxruntime on a CPU; tfjs-node when it is
// installed; FTTL_RUNTIME=tfjs forces tfjs); `npm run bench -- --peer` times PyTorch on the same work.
// Prints a table on stderr and one JSON line per backbone on stdout; its `key` (vgg16,
// mobilenet_v1_0.75, mobilenet_v2_1.0, …) names the same work in bench/peer_torch.py --finetune.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describeBackend, initBackend, type BackendPreference } from '../src/engine/backend/selectBackend.js';
import { loadBackbone } from '../src/engine/backbones/backbone.js';
import {
  buildTrainableNetwork,
  ensureTrainingKernels,
  finetuneConfig,
  planFinetune,
  pooledDim,
  randomHead,
  trainFinetune,
} from '../src/engine/finetune/index.js';
import { Rng } from '../src/engine/util/rng.js';
import { ortThreads } from '../src/engine/inference/onnx/ort.js';
import { finetuneBackbones } from './backbones.js';

const { values } = parseArgs({
  options: {
    backbone: { type: 'string', multiple: true },
    images: { type: 'string' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '32' },
    blocks: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
  },
});

const backbones = values.backbone ?? finetuneBackbones();
const epochs = Number(values.epochs);
const batchSize = Number(values.batch);

/**
 * The backbone's name in bench/peer_torch.py --finetune (vgg16, mobilenet_v1_0.75, mobilenet_v2_1.0),
 * which models the last block at 224 px only; none for other cuts, sizes or custom models.
 */
function peerKey(b: { architecture: string; alpha?: number; inputSize: number }, blocks: number): string | undefined {
  if (blocks !== 1 || b.inputSize !== 224) return undefined;
  if (b.architecture === 'vgg16') return 'vgg16';
  if (b.architecture !== 'mobilenet_v1' && b.architecture !== 'mobilenet_v2') return undefined;
  const alpha = b.alpha ?? 1;
  return `${b.architecture}_${Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha)}`;
}

const backend = await initBackend(values.backend as BackendPreference);
await ensureTrainingKernels();
process.stderr.write(`backend: ${describeBackend(backend)}\n`);

for (const source of backbones) {
  const b = await loadBackbone(source);
  const plan = planFinetune(b, { blocks: Number(values.blocks) });
  const cutSize = plan.cutShape.reduce((a, d) => a * d, 1);
  // VGG-16 costs ~7.4 GFLOP per image and step: fewer images keep a run to about a minute.
  const n = Number(values.images ?? (b.architecture === 'vgg16' ? 64 : 512));
  const head = randomHead('mlp1', pooledDim(b, plan), 5, 1);
  const net = await buildTrainableNetwork(b, plan, head.model);
  head.model.dispose();
  const rng = new Rng(7);
  const data = Float32Array.from({ length: n * cutSize }, () => (rng.next() < 0.5 ? 0 : rng.next() * 3));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 5);
  const load = async (idx: readonly number[]) => {
    const out = new Float32Array(idx.length * cutSize);
    idx.forEach((r, k) => out.set(data.subarray(r * cutSize, (r + 1) * cutSize), k * cutSize));
    return out;
  };
  process.stderr.write(`${b.name}: ${plan.trainableLayers.length} layers trained (${plan.trainableLayers[0]} … ${plan.featureLayer}) + MLP-1 head, cut ${plan.cutLayer} ${plan.cutShape.join('×')}, ${n} images, batch ${batchSize}\n`);
  // tfjs tensors alive after each epoch: flat when nothing leaks per step.
  const tensorsPerEpoch: number[] = [];
  const result = await trainFinetune({
    net,
    config: finetuneConfig({ epochs, batchSize, learningRate: 1e-4 }),
    train: { labels, load },
    onEpoch: (r, ips) => {
      tensorsPerEpoch.push(tf.memory().numTensors);
      process.stderr.write(`  epoch ${r.epoch}: ${ips.toFixed(2)} img/s (${r.seconds.toFixed(1)} s)\n`);
    },
  });
  const ips = result.imagesPerSecond;
  const steady = ips.length > 1 ? ips.slice(1) : ips; // epoch 1 includes one-off kernel setup
  const mean = steady.reduce((a, x) => a + x, 0) / steady.length;
  process.stdout.write(
    JSON.stringify({
      bench: 'finetune',
      backbone: b.name,
      key: peerKey(b, Number(values.blocks)),
      backend: backend.name,
      // Who ran the training steps (onnxruntime uses every core unless FTTL_ORT_THREADS says otherwise).
      trainer: result.trainer,
      threads: result.trainer.startsWith('onnxruntime') ? ortThreads() : backend.threads,
      trainable: plan.trainableLayers,
      cut: plan.cutLayer,
      images: n,
      batchSize,
      imagesPerSecond: ips.map((x) => Math.round(x * 100) / 100),
      steadyImagesPerSecond: Math.round(mean * 100) / 100,
      // The name for the same figure (training images/s, epochs after the first).
      imgPerSec: Math.round(mean * 100) / 100,
      // The process's peak so far: run one backbone per process (bench/run.ts does) for its own figure.
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      tensorsPerEpoch,
    }) + '\n',
  );
  net.model.dispose();
  b.model.dispose();
  tf.disposeVariables();
}
