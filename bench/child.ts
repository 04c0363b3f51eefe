// One benchmark measurement in a fresh process (so peak RSS and thread pools are its own).
// Prints one JSON line on stdout. Run by bench/run.ts; usable alone:
//   tsx bench/child.ts extract --backbone vgg16:random --runtime onnx --images <dir> [--batch 16] [--budget 20]
//   tsx bench/child.ts pipeline --backbone vgg16:random --data <dir> [--batch 16]
//   tsx bench/child.ts seed-table --backbone <name|folder> --count 1000 [--batch 16] [--epochs 20] [--keep]
//   tsx bench/child.ts seed-table-heads --backbone <name|folder> --data <dir> --work <dir> [--batch 16]
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendPreference } from '../src/engine/backend/selectBackend.js';
import { loadBackbone } from '../src/engine/backbones/backbone.js';
import { decodeImage } from '../src/engine/data/decodeImage.js';
import { extractFeatures } from '../src/engine/features/extractFeatures.js';
import { createRunner, type RuntimePreference } from '../src/engine/inference/createRunner.js';
import { finetuneRun } from '../src/engine/pipeline/finetuneRun.js';
import type { BaseFeatureOptions } from '../src/engine/pipeline/prepareFeatures.js';
import { transferTable } from '../src/engine/pipeline/transferTable.js';
import { benchImages } from './images.js';

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
    work: { type: 'string' },
    epochs: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    count: { type: 'string', default: '1000' },
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

/** The options the seed table's runs share (the CLI's defaults: stretch, seed 1, 30 % test, 10 % val). */
function seedOptions(data: string, work: string): BaseFeatureOptions & { runsDir: string } {
  return {
    train: data,
    backbone: values.backbone!,
    resizeMode: 'stretch',
    seed: 1,
    testFraction: 0.3,
    valFraction: 0.1,
    runsDir: join(work, 'runs'),
    featureCacheDir: join(work, 'cache', 'features'),
    batchSize: Number(values.batch),
  };
}

/** The three heads on a work dir whose feature cache is filled: what a second `fttl train` table costs. */
async function seedTableHeads() {
  await initBackend(values.backend as BackendPreference);
  const t = now();
  const { runs } = await transferTable(seedOptions(values.data!, values.work!));
  return {
    seconds: now() - t,
    featuresFromCache: runs[0]!.record.timings.featuresFromCache,
    featuresExtracted: runs[0]!.record.timings.featuresExtracted,
    peakRssMB: peakRssMB(),
  };
}

/**
 * The seed's whole table on `--images` images (5 classes): extract + LR + MLP-1 + MLP-2
 * (transferTable), FT#1 (random MLP-1 head) and FT#2 (MLP-1 run's head), then the three heads
 * again on the same work dir (features from the cache), in this process and in a fresh one.
 */
async function seedTable() {
  const backend = await initBackend(values.backend as BackendPreference);
  const n = Number(values.count);
  const classes = 5;
  const perClass = Math.ceil(n / classes);
  let t = now();
  const data = await benchImages({ perClass, classes });
  const imagesSeconds = now() - t;
  process.stderr.write(`seed table: ${data.files.length} × ${data.size} px JPEG in ${data.dir} (${imagesSeconds.toFixed(1)} s)\n`);
  const work = await mkdtemp(join(tmpdir(), 'fttl-bench-seed-table-'));
  const opts = seedOptions(data.dir, work);
  const step = (what: string, s: number) => process.stderr.write(`  ${what}: ${s.toFixed(1)} s\n`);
  try {
    t = now();
    const table = await transferTable(opts);
    const tableSeconds = now() - t;
    // transferTable = prepareFeatures (split + backbone load + ONNX export + extraction) then one
    // transferRun per head, each timing itself (train + predict + save): the rest is extraction.
    const head = (k: string) => table.runs.find((r) => r.record.config.head.kind === k)!.record;
    const headSeconds = table.runs.map((r) => r.record.timings.totalSeconds);
    const extractSeconds = tableSeconds - headSeconds.reduce((a, b) => a + b, 0);
    step('extract + LR + MLP-1 + MLP-2', tableSeconds);
    const mlp1Run = table.runs.find((r) => r.record.config.head.kind === 'mlp1')!;

    const finetune = { epochs: Number(values.epochs) };
    t = now();
    const ft1 = await finetuneRun({ ...opts, finetune });
    const ft1Seconds = now() - t;
    step('FT#1', ft1Seconds);
    t = now();
    const ft2 = await finetuneRun({ ...opts, finetune, headFrom: mlp1Run.runDir });
    const ft2Seconds = now() - t;
    step('FT#2', ft2Seconds);

    t = now();
    const cached = await transferTable(opts);
    const cachedHeadsSeconds = now() - t;
    step('cached heads (same process)', cachedHeadsSeconds);
    // The same in a fresh process (node + tsx start, backbone load, ONNX session from the cached graph).
    t = now();
    const fresh = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const args = ['seed-table-heads', '--backbone', values.backbone!, '--data', data.dir, '--work', work, '--batch', values.batch, '--backend', values.backend];
      const c = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.on('error', reject);
      c.on('close', (code) => resolve({ code, stdout }));
    });
    const freshWall = now() - t;
    const freshResult = (() => {
      try {
        return JSON.parse(fresh.stdout.trim().split('\n').pop()!) as { seconds: number; featuresFromCache: number };
      } catch {
        return undefined;
      }
    })();
    step('cached heads (fresh process, wall)', freshWall);

    const total = tableSeconds + ft1Seconds + ft2Seconds;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const c0 = cached.runs[0]!.record.timings;
    return {
      seedTable: {
        images: data.files.length,
        imageSize: data.size,
        backbone: values.backbone,
        weights: /:random$/.test(values.backbone!) ? 'random' : 'pretrained',
        runtime: head('lr').backend.runtime,
        finetuneRuntime: ft1.record.backend.runtime,
        tfBackend: backend.name,
        threads: backend.threads,
        seconds: {
          extract: r2(extractSeconds),
          lr: r2(head('lr').timings.totalSeconds),
          mlp1: r2(head('mlp1').timings.totalSeconds),
          mlp2: r2(head('mlp2').timings.totalSeconds),
          ft1: r2(ft1Seconds),
          ft2: r2(ft2Seconds),
          total: r2(total),
        },
        detail: {
          imagesSeconds: r2(imagesSeconds),
          featureExtractSeconds: r2(head('lr').timings.extractSeconds),
          ft1: { prefixSeconds: r2(ft1.record.timings.extractSeconds), trainSeconds: r2(ft1.record.timings.trainSeconds), prefixComputed: ft1.record.timings.featuresExtracted },
          ft2: { prefixSeconds: r2(ft2.record.timings.extractSeconds), trainSeconds: r2(ft2.record.timings.trainSeconds), prefixFromCache: ft2.record.timings.featuresFromCache },
          cachedFeatures: { fromCache: c0.featuresFromCache, extracted: c0.featuresExtracted },
          trainImagesPerSecond: { ft1: r2(ft1.record.timings.trainImagesPerSecond ?? 0), ft2: r2(ft2.record.timings.trainImagesPerSecond ?? 0) },
          accuracy: {
            lr: r2(head('lr').metrics.accuracy),
            mlp1: r2(head('mlp1').metrics.accuracy),
            mlp2: r2(head('mlp2').metrics.accuracy),
            ft1: r2(ft1.record.metrics.accuracy),
            ft2: r2(ft2.record.metrics.accuracy),
          },
        },
        cachedHeadsSeconds: r2(cachedHeadsSeconds),
        cachedHeadsFreshProcess: freshResult
          ? { wallSeconds: r2(freshWall), tableSeconds: r2(freshResult.seconds), featuresFromCache: freshResult.featuresFromCache }
          : { error: `seed-table-heads exited ${fresh.code}` },
        targets: {
          wholeTableUnder15min: total < 15 * 60,
          cachedHeadsUnder10s: cachedHeadsSeconds < 10,
          ...(freshResult ? { cachedHeadsFreshProcessUnder10s: freshWall < 10 } : {}),
        },
        peakRssMB: peakRssMB(),
        ...(values.keep ? { workDir: work } : {}),
      },
    };
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
}

const mode = positionals[0];
const modes: Record<string, () => Promise<object>> = { extract, pipeline, 'seed-table': seedTable, 'seed-table-heads': seedTableHeads };
const result = mode !== undefined && mode in modes ? await modes[mode]!() : undefined;
if (!result) {
  process.stderr.write('usage: tsx bench/child.ts extract|pipeline|seed-table|seed-table-heads …\n');
  process.exit(2);
}
process.stdout.write(JSON.stringify(result) + '\n');
