import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { initBackend, describeBackend, type BackendInfo, type BackendPreference, BACKEND_ORDER } from '../engine/backend/selectBackend.js';
import { FttlError } from '../engine/util/errors.js';
import type { ProgressCallback } from '../engine/util/progress.js';
import { EXIT, exitCodeFor } from './exitCodes.js';
import { progressMode, progressReporter } from './progressReporter.js';

/** Options every command takes. */
export interface CommonOptions {
  json?: boolean;
  workdir: string;
  weightsCache?: string;
  backend: BackendPreference;
}

export function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON result on stdout and nothing else')
    .option('--workdir <dir>', 'where runs and the feature cache live (env FTTL_HOME)', process.env.FTTL_HOME ?? '.fttl')
    .option('--weights-cache <dir>', 'folder of downloaded weights (env FTTL_WEIGHTS_CACHE)')
    .option('--backend <name>', `compute backend: auto, ${BACKEND_ORDER.join(', ')} (env FTTL_BACKEND)`, parseBackend, 'auto');
}

function parseBackend(value: string): BackendPreference {
  if (value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value)) return value as BackendPreference;
  throw new InvalidArgumentError(`expected auto or one of ${BACKEND_ORDER.join(', ')}`);
}

export function parseIntOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer');
  return n;
}

export function parseNumberOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

export function parseChoice<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`expected one of ${choices.join(', ')}`);
  };
}

export interface CommandContext {
  backend: BackendInfo;
  runsDir: string;
  featureCacheDir: string;
  onProgress: ProgressCallback;
  signal: AbortSignal;
  /** Human-readable lines go to stderr (stdout is for results). */
  log(line: string): void;
}

/**
 * Runs a command's body with the backend started, Ctrl-C wired to cancellation, progress shown,
 * and errors turned into a clear message plus an exit code scripts can rely on.
 * The body returns the JSON result and the text a person reads.
 */
export async function runCommand(opts: CommonOptions, body: (ctx: CommandContext) => Promise<{ json: unknown; text: string }>): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.cancelled);
    process.stderr.write('\nCancelling… (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const progress = progressReporter(progressMode(Boolean(opts.json)));
  const log = (line: string) => {
    if (!opts.json) process.stderr.write(line + '\n');
  };
  try {
    const backend = await initBackend(opts.backend);
    log(`Backend: ${describeBackend(backend)}`);
    const workdir = resolve(opts.workdir);
    const result = await body({
      backend,
      runsDir: join(workdir, 'runs'),
      featureCacheDir: join(workdir, 'cache', 'features'),
      onProgress: progress.onProgress,
      signal: controller.signal,
      log,
    });
    progress.stop();
    process.stdout.write(opts.json ? JSON.stringify(result.json) + '\n' : result.text + '\n');
  } catch (err) {
    progress.stop();
    const kind = err instanceof FttlError ? err.kind : 'internal';
    const message = err instanceof Error ? err.message : String(err);
    if (opts.json) process.stdout.write(JSON.stringify({ error: { kind, message } }) + '\n');
    else process.stderr.write(`fttl: ${message}\n${kind === 'internal' && err instanceof Error && err.stack ? err.stack + '\n' : ''}`);
    process.exitCode = exitCodeFor(kind);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
