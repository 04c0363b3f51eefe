import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI (`src/cli/main.ts` through tsx) as a user's shell would.
 * `onStderr` sees stderr as it arrives, e.g. to interrupt the run at a given moment.
 */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, (signal) => child.kill(signal));
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Parses the single JSON object a `--json` command prints; fails loudly if anything else is on stdout. */
export function parseJsonOutput<T = Record<string, unknown>>(r: CliResult): T {
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`--json printed ${lines.length} lines on stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return JSON.parse(lines[0]!) as T;
}
