// FTTL's benchmark (a script, not a test): `npm run bench` prints a table, `npm run bench -- --json`
// prints ONE JSON object:
//   {"backend", "threads", "extract": {"<backbone>": {"imgPerSec", "peakRssMB", "runtime", …, "tfjsWasm": {…}, "pytorch"?: {…}}},
//    "finetune": {"<backbone>": {"imgPerSec", "peakRssMB", "trainer", …bench/finetune.ts's line, "pytorch"?: {…}, "vsPytorch"?}}, "pipeline": {"seconds", …}, "seedTable": {"images", "backbone", "seconds": {…}, "cachedHeadsSeconds", "targets", …}}
// Every measurement runs in its own process (bench/child.ts) so its peak RSS and thread pools are its
// own. Images: deterministic 1000 px JPEGs (bench/images.ts). Weights: seeded random (`:random`),
// which time exactly like pretrained ones. `imgPerSec` is the extraction path end to end (JPEG
// decode + resize overlapped with the forward pass, batch 16; fastest of the passes made);
// `forwardImgPerSec` the forward pass alone on a decoded batch (median batch), `forwardBestImgPerSec`
// its fastest batch. Ratios (onnxVsWasm, onnxVsPytorch) compare fastest batches: on a shared machine
// other processes only ever slow a batch down.
// With --peer each fine-tuning entry also gets `pytorch` ({imgPerSec, threads, version, …}: the same
// block + MLP-1 head trained by bench/peer_torch.py --finetune on as many images, epochs and batch)
// and `vsPytorch` (FTTL steady img/s / PyTorch steady img/s).
// Options: --json, --peer (PyTorch reference via Debian's python3-torch), --quick, --budget <s per
// measurement>, --backbones a,b,c, --settle (wait for idle CPUs before each measurement, Linux),
// --no-wasm, --no-pipeline, --no-finetune, --pipeline-backbone <name>, --no-extract (skip the extraction
// table), --no-seed-table, --seed-table-images <n> (1000), --seed-table-backbone <name|folder>
// (default: ../shared/data/mobilenet_v1_0.75_224_imagenet when present, else mobilenet_v1_0.75:random).
// seedTable: the "Speed" issue's targets — the seed's whole table (extract, LR, MLP-1, MLP-2, FT#1
// random head, FT#2 MLP-1 head; 20 epochs) on <n> 1000 px JPEGs in 5 classes at 224 px under 15 min,
// and a cached re-run of the three heads under 10 s (bench/child.ts seed-table).
// For clean JSON through npm, silence npm's banner: `npm run -s bench -- --json`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { finetuneBackbones, SHARED_MOBILENET_V1 } from './backbones.js';
import { benchImages } from './images.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    peer: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    budget: { type: 'string' },
    backbones: { type: 'string', default: 'mobilenet_v1_0.75,mobilenet_v2_1.0,vgg16' },
    settle: { type: 'boolean', default: false },
    'no-wasm': { type: 'boolean', default: false },
    'no-pipeline': { type: 'boolean', default: false },
    'no-finetune': { type: 'boolean', default: false },
    'pipeline-backbone': { type: 'string', default: 'vgg16:random' },
    'no-extract': { type: 'boolean', default: false },
    'no-seed-table': { type: 'boolean', default: false },
    'seed-table-images': { type: 'string', default: '1000' },
    'seed-table-backbone': { type: 'string' },
  },
});
const budget = Number(values.budget ?? (values.quick ? 8 : 20));
const backbones = values['no-extract'] ? [] : values.backbones.split(',').map((s) => s.trim()).filter(Boolean);
const log = (line: string) => process.stderr.write(line + '\n');

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every stdout line that parses as a JSON object. */
function jsonLines(r: ChildResult): Record<string, unknown>[] {
  return r.stdout.split('\n').flatMap((line) => {
    try {
      const v = JSON.parse(line) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? [v as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/** The last line of stdout that parses as a JSON object. */
function lastJson(r: ChildResult, what: string): Record<string, unknown> {
  const lines = r.stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON
    }
  }
  throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
}

/** Busy and total jiffies of all CPUs (Linux /proc/stat). */
function cpuTimes(): [busy: number, total: number] | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return [total - f[3]! - (f[4] ?? 0), total];
  } catch {
    return undefined;
  }
}

/** --settle: waits (≤ 2 min) until the CPUs were ≥ 85 % idle for three 1 s samples in a row. */
async function settle(): Promise<void> {
  if (!values.settle) return;
  const start = Date.now();
  let quiet = 0;
  while (quiet < 3 && Date.now() - start < 120_000) {
    const a = cpuTimes();
    await new Promise((r) => setTimeout(r, 1000));
    const b = cpuTimes();
    if (!a || !b) return;
    const busy = (b[0] - a[0]) / Math.max(1, b[1] - a[1]);
    quiet = busy <= 0.15 ? quiet + 1 : 0;
  }
}

const tsx = (script: string, args: string[], env?: NodeJS.ProcessEnv) => run(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], env);

async function child(args: string[], what: string): Promise<Record<string, unknown>> {
  await settle();
  try {
    return lastJson(await tsx('bench/child.ts', args), what);
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** A Python that has torch + torchvision + PIL (Debian's python3-torch lives in /usr/bin/python3). */
function findTorchPython(): string | undefined {
  for (const py of [process.env.FTTL_PYTHON, 'python3', '/usr/bin/python3', 'python'].filter((p): p is string => Boolean(p))) {
    const r = spawnSync(py, ['-c', 'import torch, torchvision, PIL'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

const round = (x: unknown, digits = 2) => (typeof x === 'number' ? Number(x.toFixed(digits)) : x);

async function main() {
  const threads = availableParallelism();
  log(`FTTL bench: ${threads} cores (${cpus()[0]?.model ?? 'cpu'}), ${budget} s per measurement`);
  const images = await benchImages({ perClass: values.quick ? 16 : 32, classes: 3 });
  if (backbones.length) log(`images: ${images.files.length} × ${images.size} px JPEG in ${images.dir}`);
  const python = values.peer ? findTorchPython() : undefined;
  if (values.peer && !python) log('PyTorch peer: no Python with torch + torchvision found (Debian: apt-get install python3-torch python3-torchvision python3-pil libopenblas0); skipped');

  const extract: Record<string, Record<string, unknown>> = {};
  let backend = 'unknown';
  for (const name of backbones) {
    const common = ['extract', '--backbone', `${name}:random`, '--images', images.dir, '--budget', String(budget)];
    log(`${name}: onnxruntime…`);
    const onnx = await child([...common, '--runtime', 'onnx'], `${name} onnx`);
    if (typeof onnx.tfBackend === 'string') backend = onnx.tfBackend;
    const entry: Record<string, unknown> = {
      imgPerSec: round(onnx.imgPerSec),
      forwardImgPerSec: round(onnx.forwardImgPerSec),
      forwardBestImgPerSec: round(onnx.forwardBestImgPerSec),
      peakRssMB: onnx.peakRssMB,
      runtime: onnx.runtime,
      dim: onnx.dim,
      prepareSeconds: round(onnx.prepareSeconds),
      ...(onnx.error ? { error: onnx.error } : {}),
      ...(onnx.fallbackReason ? { fallbackReason: onnx.fallbackReason } : {}),
    };
    if (!values['no-wasm']) {
      log(`${name}: tfjs-wasm…`);
      const wasm = await child([...common, '--runtime', 'tfjs', '--backend', 'wasm'], `${name} tfjs-wasm`);
      entry.tfjsWasm = wasm.error
        ? { error: wasm.error }
        : {
            imgPerSec: round(wasm.imgPerSec),
            forwardImgPerSec: round(wasm.forwardImgPerSec),
            forwardBestImgPerSec: round(wasm.forwardBestImgPerSec),
            peakRssMB: wasm.peakRssMB,
            runtime: wasm.runtime,
            threads: wasm.tfThreads,
          };
      if (typeof wasm.forwardBestImgPerSec === 'number' && typeof onnx.forwardBestImgPerSec === 'number') {
        entry.onnxVsWasm = round(onnx.forwardBestImgPerSec / wasm.forwardBestImgPerSec);
      }
    }
    if (python) {
      log(`${name}: PyTorch…`);
      await settle();
      try {
        const r = await run(python, [join(ROOT, 'bench', 'peer_torch.py'), '--images', images.dir, '--backbones', name, '--budget', String(budget)]);
        const peer = lastJson(r, `${name} PyTorch`) as { torch: string; threads: number; extract: Record<string, Record<string, number>> };
        const t = peer.extract[name]!;
        entry.pytorch = {
          imgPerSec: round(t.imgPerSec),
          forwardImgPerSec: round(t.forwardImgPerSec),
          forwardBestImgPerSec: round(t.forwardBestImgPerSec),
          peakRssMB: t.peakRssMB,
          version: peer.torch,
          threads: peer.threads,
        };
        if (typeof onnx.forwardBestImgPerSec === 'number') entry.onnxVsPytorch = round(onnx.forwardBestImgPerSec / t.forwardBestImgPerSec!);
      } catch (err) {
        entry.pytorch = { error: (err as Error).message };
      }
    }
    extract[name] = entry;
  }

  let finetune: Record<string, unknown>;
  if (values['no-finetune']) finetune = { skipped: '--no-finetune' };
  else if (!existsSync(join(ROOT, 'bench', 'finetune.ts'))) finetune = { note: 'bench/finetune.ts (the fine-tuning benchmark) is not written yet' };
  else {
    // bench/finetune.ts prints one JSON line per backbone; one process per backbone, so each peak RSS is its own.
    finetune = {};
    for (const source of finetuneBackbones()) {
      log(`fine-tuning ${source} (bench/finetune.ts)…`);
      await settle();
      const r = await tsx('bench/finetune.ts', ['--backbone', source, ...(values.quick ? ['--epochs', '2'] : [])]);
      const l = jsonLines(r)[0];
      if (!l) {
        finetune[source] = { error: `bench/finetune.ts failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
        continue;
      }
      if (python) await finetunePeer(python, l);
      // Keyed like `extract` (vgg16, mobilenet_v1_0.75, …) where the backbone has such a name.
      finetune[String(l.key ?? l.backbone ?? source)] = l;
    }
  }

  let pipeline: Record<string, unknown>;
  if (values['no-pipeline']) pipeline = { skipped: '--no-pipeline' };
  else {
    const data = await benchImages({ perClass: values.quick ? 10 : 20, classes: 3 });
    log(`pipeline: transfer table (LR, MLP-1, MLP-2) on ${data.files.length} images with ${values['pipeline-backbone']}…`);
    pipeline = await child(['pipeline', '--backbone', values['pipeline-backbone'], '--data', data.dir], 'pipeline');
    pipeline = { ...pipeline, seconds: round(pipeline.seconds), extractSeconds: round(pipeline.extractSeconds) };
  }

  let seedTable: Record<string, unknown>;
  if (values['no-seed-table']) seedTable = { skipped: '--no-seed-table' };
  else {
    // Real ImageNet weights when ../shared has them (random MobileNet weights give ~1e-5 activations
    // that barely train; they time the same).
    const backbone = values['seed-table-backbone'] ?? (existsSync(SHARED_MOBILENET_V1) ? SHARED_MOBILENET_V1 : 'mobilenet_v1_0.75:random');
    const n = values['seed-table-images'];
    log(`seed table: extract + LR + MLP-1 + MLP-2 + FT#1 + FT#2 on ${n} images with ${backbone}, then the cached heads…`);
    const r = await child(['seed-table', '--backbone', backbone, '--count', n, ...(values.quick ? ['--epochs', '2'] : [])], 'seed table');
    seedTable = (r.seedTable as Record<string, unknown> | undefined) ?? r;
  }

  const result = { backend, threads, extract, finetune, pipeline, seedTable };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const cols = ['backbone', 'runtime', 'img/s', 'fwd', 'fwd best', 'RSS MB', 'wasm img/s', 'wasm fwd', 'wasm best', 'torch img/s', 'torch fwd', 'torch best', 'onnx/wasm', 'onnx/torch'];
  const rows = Object.entries(extract).map(([name, e]) => {
    const w = (e.tfjsWasm ?? {}) as Record<string, unknown>;
    const p = (e.pytorch ?? {}) as Record<string, unknown>;
    const s = (v: unknown) => (v === undefined ? '—' : String(v));
    return [
      name,
      s(e.runtime ?? e.error),
      s(e.imgPerSec),
      s(e.forwardImgPerSec),
      s(e.forwardBestImgPerSec),
      s(e.peakRssMB),
      s(w.imgPerSec),
      s(w.forwardImgPerSec),
      s(w.forwardBestImgPerSec),
      s(p.imgPerSec),
      s(p.forwardImgPerSec),
      s(p.forwardBestImgPerSec),
      s(e.onnxVsWasm),
      s(e.onnxVsPytorch),
    ];
  });
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const out = [
    `backend ${backend}, ${threads} threads; batch 16, 224 px, ${images.size} px JPEGs; img/s = decode + forward, fwd = forward only (median / best batch); ratios of best batches`,
    line(cols),
    ...rows.map(line),
    '',
    ...Object.entries(finetune).map(([k, v]) => finetuneLine(k, v)),
    seedTableLine(seedTable),
    `pipeline: ${typeof pipeline.seconds === 'number' ? `${pipeline.seconds} s` : JSON.stringify(pipeline)}${pipeline.runtime ? ` (${pipeline.images} images, ${pipeline.backbone}, features by ${pipeline.runtime}; extraction ${pipeline.extractSeconds} s)` : ''}`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

/**
 * --peer: the same fine-tuning work in PyTorch (bench/peer_torch.py --finetune <key>, as many images,
 * epochs and batch as FTTL's run), into `l.pytorch` and `l.vsPytorch` (FTTL / PyTorch steady img/s).
 */
async function finetunePeer(python: string, l: Record<string, unknown>): Promise<void> {
  const key = l.key;
  if (typeof key !== 'string' || typeof l.images !== 'number' || typeof l.batchSize !== 'number') return;
  const epochs = Array.isArray(l.imagesPerSecond) && l.imagesPerSecond.length > 0 ? l.imagesPerSecond.length : 3;
  log(`fine-tuning ${key}: PyTorch…`);
  await settle();
  try {
    const args = ['--finetune', key, '--images-ft', String(l.images), '--epochs', String(epochs), '--batch', String(l.batchSize)];
    const r = await run(python, [join(ROOT, 'bench', 'peer_torch.py'), ...args]);
    const peer = lastJson(r, `${key} PyTorch fine-tuning`) as { torch: string; threads: number; finetune?: Record<string, Record<string, number>> };
    const t = peer.finetune?.[key];
    if (!t || typeof t.imgPerSec !== 'number') throw new Error(`${key} PyTorch fine-tuning: no result in ${JSON.stringify(peer).slice(0, 200)}`);
    l.pytorch = {
      imgPerSec: round(t.imgPerSec),
      imagesPerSecond: t.imagesPerSecond,
      threads: peer.threads,
      version: peer.torch,
      images: t.images,
      steps: t.steps,
      batch: t.batch,
      peakRssMB: t.peakRssMB,
    };
    if (typeof l.steadyImagesPerSecond === 'number' && t.imgPerSec > 0) l.vsPytorch = round(l.steadyImagesPerSecond / t.imgPerSec);
  } catch (err) {
    l.pytorch = { error: (err as Error).message };
  }
}

function finetuneLine(name: string, v: unknown): string {
  if (!v || typeof v !== 'object' || !('steadyImagesPerSecond' in v)) return `fine-tuning ${name}: ${JSON.stringify(v)}`;
  const e = v as Record<string, unknown>;
  let line = `fine-tuning ${name}: ${String(e.steadyImagesPerSecond)} img/s (steady epochs, ${String(e.trainer ?? '?')}, ${String(e.threads ?? '?')} threads)`;
  const p = e.pytorch as Record<string, unknown> | undefined;
  if (p?.error !== undefined) line += `; PyTorch: ${String(p.error)}`;
  else if (p) line += `; PyTorch ${String(p.version)} ${String(p.imgPerSec)} img/s (${String(p.threads)} threads); FTTL/PyTorch ${String(e.vsPytorch ?? '—')}`;
  return line;
}

function seedTableLine(t: Record<string, unknown>): string {
  const s = t.seconds as Record<string, number> | undefined;
  const targets = t.targets as Record<string, boolean> | undefined;
  if (!s || !targets) return `seed table: ${JSON.stringify(t)}`;
  const steps = ['extract', 'lr', 'mlp1', 'mlp2', 'ft1', 'ft2'].map((k) => `${k} ${s[k]} s`).join(', ');
  return (
    `seed table (${String(t.images)} images, ${String(t.backbone)}, ${String(t.runtime)}): ${s.total} s (${steps}) — ` +
    `${targets.wholeTableUnder15min ? 'under' : 'OVER'} 15 min; cached heads ${String(t.cachedHeadsSeconds)} s — ${targets.cachedHeadsUnder10s ? 'under' : 'OVER'} 10 s; peak RSS ${String(t.peakRssMB)} MB`
  );
}

await main();
