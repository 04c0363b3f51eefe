import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, resolve, basename } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { atomicWriteJson } from '../util/atomicWrite.js';
import { FttlError } from '../util/errors.js';
import { PREDICTIONS_FILE, RUN_FILE, predictionSchema, runRecordSchema, type Prediction, type RunRecord } from './runRecord.js';

export const INDEX_FILE = 'index.json';

/** One line of the runs index. */
export interface RunSummary {
  id: string;
  kind: RunRecord['kind'];
  model: string;
  createdAt: string;
  backbone: string;
  head: string;
  accuracy: number;
  kappa: number;
  dir: string;
}

/** A new run id: sortable by time, readable, unique. */
export function newRunId(label: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const slug = label.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `${stamp}-${slug}-${randomBytes(2).toString('hex')}`;
}

/**
 * A run being written. Everything goes into a hidden staging folder that becomes the run folder
 * in one rename at `commit()`: a cancelled or crashed run never appears half-written in the index.
 */
export class PendingRun {
  readonly stagingDir: string;
  private constructor(readonly runsDir: string, readonly id: string) {
    this.stagingDir = join(runsDir, `.${id}.partial`);
  }

  static async start(runsDir: string, id: string): Promise<PendingRun> {
    const run = new PendingRun(resolve(runsDir), id);
    await mkdir(run.stagingDir, { recursive: true });
    return run;
  }

  async commit(record: RunRecord, predictions: Prediction[]): Promise<string> {
    await atomicWriteJson(join(this.stagingDir, PREDICTIONS_FILE), predictions);
    await atomicWriteJson(join(this.stagingDir, RUN_FILE), runRecordSchema.parse(record));
    const finalDir = join(this.runsDir, this.id);
    await rename(this.stagingDir, finalDir);
    await writeIndex(this.runsDir);
    return finalDir;
  }

  async abandon(): Promise<void> {
    await rm(this.stagingDir, { recursive: true, force: true });
  }
}

export async function readRun(dir: string): Promise<RunRecord> {
  const file = join(dir, RUN_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new FttlError('bad-input', `${dir} is not an FTTL run folder (no ${RUN_FILE}).`);
  }
  const parsed = runRecordSchema.safeParse(safeJson(text, file));
  if (!parsed.success) throw new FttlError('bad-input', `${file} is damaged: ${parsed.error.issues[0]?.message ?? 'invalid'}.`);
  return parsed.data;
}

export async function readPredictions(dir: string): Promise<Prediction[]> {
  const file = join(dir, PREDICTIONS_FILE);
  const parsed = z.array(predictionSchema).safeParse(safeJson(await readFile(file, 'utf8'), file));
  if (!parsed.success) throw new FttlError('bad-input', `${file} is damaged.`);
  return parsed.data;
}

function safeJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new FttlError('bad-input', `${file} is not valid JSON.`);
  }
}

export function summarize(record: RunRecord, dir: string): RunSummary {
  return {
    id: record.id,
    kind: record.kind,
    model: record.model,
    createdAt: record.createdAt,
    backbone: record.config.backbone,
    head: String(record.config.head['kind'] ?? ''),
    accuracy: record.metrics.accuracy,
    kappa: record.metrics.kappa.quadratic,
    dir,
  };
}

/** Every complete run under `runsDir`, oldest first; unreadable folders are left out, not fatal. */
export async function listRuns(runsDir: string): Promise<RunSummary[]> {
  const names = await readdir(runsDir).catch(() => [] as string[]);
  const runs: RunSummary[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const dir = join(resolve(runsDir), name);
    if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) continue;
    try {
      runs.push(summarize(await readRun(dir), dir));
    } catch {
      // A foreign or damaged folder must not hide the other runs.
    }
  }
  return runs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** Rewrites `index.json` from the run folders themselves, so it can never disagree with them for long. */
export async function writeIndex(runsDir: string): Promise<RunSummary[]> {
  const runs = await listRuns(runsDir);
  await atomicWriteJson(join(runsDir, INDEX_FILE), { runs });
  return runs;
}

/**
 * Finds a run by folder path, exact id, unique id prefix/suffix, or `latest`.
 * Throws a clear error listing candidates when ambiguous.
 */
export async function resolveRun(runsDir: string, ref: string): Promise<string> {
  const asDir = resolve(ref);
  if (await stat(join(asDir, RUN_FILE)).then(() => true, () => false)) return asDir;
  const runs = await listRuns(runsDir);
  if (ref === 'latest') {
    const last = runs.at(-1);
    if (!last) throw new FttlError('bad-input', `No runs in ${runsDir} yet.`);
    return last.dir;
  }
  const matches = runs.filter((r) => r.id === ref || r.id.startsWith(ref) || r.id.endsWith(ref) || basename(r.dir) === ref);
  if (matches.length === 1) return matches[0]!.dir;
  if (matches.length === 0) throw new FttlError('bad-input', `No run "${ref}" in ${runsDir}.`);
  throw new FttlError('bad-input', `"${ref}" matches ${matches.length} runs: ${matches.map((m) => m.id).join(', ')}.`);
}
