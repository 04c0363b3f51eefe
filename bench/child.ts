// One benchmark measurement in a fresh process (so peak RSS and thread pools are its own).
// Prints one JSON line on stdout. Run by bench/run.ts; usable alone:
//   tsx bench/child.ts extract --backbone vgg16:random --runtime onnx --images <dir> [--batch 16] [--budget 20]
//   tsx bench/child.ts pipeline --backbone vgg16:random --data <dir> [--batch 16]
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendPreference } from '../src/engine/backend/selectBackend.js';
import { loadBackbone } from '../src/engine/backbones/backbone.js';
import { decodeImage } from '../src/engine/data/decodeImage.js';
import { extractFeatures } from '../src/engine/features/extractFeatures.js';
import { createRunner, type RuntimePreference } from '../src/engine/inference/createRunner.js';
import { transferTable } from '../src/engine/pipeline/transferTable.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    backbone: { type: 'string' },
    runtime: { type: 'string', default: 'onnx' },
    backend: { type: 'string', default: 'wasm' },
    images: { type: 'string' },
    data: { type: 'string' },
    batch: { type: 'string', default: '16' },
    budget: { type: 'string', default: '20' },
  },
});

const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const now = () => performance.now() / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function listImages(dir: string): Promise<string[]> {
  const classes = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const perClass = await Promise.all(classes.map(async (c) => (await readdir(join(dir, c))).sort().map((f) => join(dir, c, f))));
  // Interleave classes so any prefix has every class.
  const out: string[] = [];
  for (let i = 0; perClass.some((l) => i < l.length); i++) for (const l of perClass) if (i < l.length) out.push(l[i]!);
  return out;
}

async function extract() {
  const backend = await initBackend(values.backend as BackendPreference);
  const batch = Number(values.batch);
  const budget = Number(values.budget);
  const files = await listImages(values.images!);
  let t = now();
  const backbone = await loadBackbone(values.backbone!);
  const loadSeconds = now() - t;

  const cacheDir = await mkdtemp(join(tmpdir(), 'fttl-bench-onnx-'));
  try {
    t = now();
    const runner = await createRunner({ backbone, runtime: values.runtime as RuntimePreference, onnxCacheDir: cacheDir });
    const prepareSeconds = now() - t; // ONNX export + session creation (0 work for tfjs)
    const size = runner.inputSize;
    const decoded = await Promise.all(files.slice(0, batch).map((f) => decodeImage(f, size, 'stretch')));
    const pixels = new Float32Array(batch * size * size * 3);
    decoded.forEach((d, k) => pixels.set(d, k * size * size * 3));

    // Warm-up: 2 images first to estimate the cost, a full batch when that is cheap enough.
    t = now();
    await runner.run(pixels.subarray(0, 2 * size * size * 3), 2);
    const perImage = (now() - t) / 2;
    if (perImage * batch < budget / 4) await runner.run(pixels, batch);

    // Forward only (pre-decoded batch): repeat until half the budget is used, at least once.
    const batchSeconds: number[] = [];
    const fwdStart = now();
    do {
      t = now();
      await runner.run(pixels, batch);
      batchSeconds.push(now() - t);
    } while (now() - fwdStart < budget / 2 && batchSeconds.length < 50);
    const forwardImgPerSec = batch / median(batchSeconds);
    const forwardBestImgPerSec = batch / Math.min(...batchSeconds);

    // End to end: decode JPEGs (sharp, overlapped with inference) + forward, the extraction path.
    // Passes over the same images repeat while half the budget lasts; the fastest pass counts
    // (other processes on a shared machine only ever slow a pass down).
    const estimate = 1 / forwardImgPerSec;
    const count = Math.min(files.length, Math.max(batch, Math.floor(budget / 4 / estimate / batch) * batch));
    const items = files.slice(0, count).map((path) => ({ path, label: 0 }));
    const passes: number[] = [];
    const e2eStart = now();
    do {
      t = now();
      const res = await extractFeatures({ items, runner, resizeMode: 'stretch', batchSize: batch });
      passes.push(now() - t);
      if (res.skipped.length) throw new Error(`skipped: ${JSON.stringify(res.skipped[0])}`);
    } while (now() - e2eStart < budget / 2 && passes.length < 5);
    runner.dispose();
    return {
      backbone: values.backbone,
      runtime: runner.runtime,
      ...(runner.fallbackReason ? { fallbackReason: runner.fallbackReason } : {}),
      tfBackend: backend.name,
      tfThreads: backend.threads,
      dim: runner.outputSize,
      imgPerSec: count / Math.min(...passes),
      forwardImgPerSec,
      forwardBestImgPerSec,
      images: count,
      passes: passes.length,
      forwardBatches: batchSeconds.length,
      loadSeconds,
      prepareSeconds,
      peakRssMB: peakRssMB(),
    };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function pipeline() {
  const backend = await initBackend(values.backend as BackendPreference);
  const work = await mkdtemp(join(tmpdir(), 'fttl-bench-pipeline-'));
  try {
    const t = now();
    const { runs } = await transferTable({
      train: values.data!,
      backbone: values.backbone!,
      resizeMode: 'stretch',
      seed: 1,
      testFraction: 0.3,
      valFraction: 0.1,
      runsDir: join(work, 'runs'),
      featureCacheDir: join(work, 'cache', 'features'),
      batchSize: Number(values.batch),
    });
    const seconds = now() - t;
    const first = runs[0]!.record;
    return {
      seconds,
      backbone: values.backbone,
      runtime: first.backend.runtime,
      tfBackend: backend.name,
      images: first.timings.featuresExtracted + first.timings.featuresFromCache,
      extractSeconds: first.timings.extractSeconds,
      trainSeconds: Object.fromEntries(runs.map((r) => [r.record.config.head.kind, r.record.timings.trainSeconds])),
      accuracy: Object.fromEntries(runs.map((r) => [r.record.config.head.kind, r.record.metrics.accuracy])),
      peakRssMB: peakRssMB(),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const mode = positionals[0];
const result = mode === 'extract' ? await extract() : mode === 'pipeline' ? await pipeline() : undefined;
if (!result) {
  process.stderr.write('usage: tsx bench/child.ts extract|pipeline …\n');
  process.exit(2);
}
process.stdout.write(JSON.stringify(result) + '\n');
