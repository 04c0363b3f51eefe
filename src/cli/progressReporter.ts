import cliProgress from 'cli-progress';
import type { Progress, ProgressCallback } from '../engine/util/progress.js';

/**
 * Progress on stderr: a bar per phase on a terminal, a line every few seconds otherwise
 * (CI logs), nothing at all in --json mode so stdout and stderr stay clean for scripts.
 */
export function progressReporter(mode: 'bar' | 'lines' | 'silent'): { onProgress: ProgressCallback; stop(): void } {
  if (mode === 'silent') return { onProgress: () => undefined, stop: () => undefined };
  if (mode === 'lines') {
    let lastPhase = '';
    let lastAt = 0;
    return {
      onProgress(p: Progress) {
        const now = Date.now();
        if (p.phase === lastPhase && now - lastAt < 5000 && p.done < p.total) return;
        lastPhase = p.phase;
        lastAt = now;
        process.stderr.write(`${p.phase}: ${p.done}/${p.total}${p.message ? ` — ${p.message}` : ''}\n`);
      },
      stop: () => undefined,
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    onProgress(p: Progress) {
      if (p.phase !== phase || !bar) {
        stop();
        phase = p.phase;
        bar = new cliProgress.SingleBar(
          { format: `${p.phase.padEnd(22)} {bar} {value}/{total} {eta_formatted} {message}`, stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, p.done, { message: p.message ?? '' });
      }
      bar.setTotal(p.total);
      bar.update(p.done, { message: p.message ?? '' });
    },
    stop,
  };
}

export function progressMode(json: boolean): 'bar' | 'lines' | 'silent' {
  if (json) return 'silent';
  return process.stderr.isTTY ? 'bar' : 'lines';
}
