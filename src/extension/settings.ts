// The extension's settings (`fttl.*`), read in one place and checked.
import { isAbsolute, join } from 'node:path';
import type { BackendPreference } from '../engine/backend/selectBackend.js';
import type { HeadKind } from '../engine/heads/types.js';

export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
export const RESIZE_MODES = ['stretch', 'crop', 'pad'] as const;

export interface FttlSettings {
  backbone: string;
  weightsCache: string | undefined;
  batchSize: number;
  seed: number;
  backend: BackendPreference;
  workDir: string;
  resizeMode: (typeof RESIZE_MODES)[number];
  testFraction: number;
  valFraction: number;
  topK: number;
  head: Record<HeadKind, Record<string, unknown>>;
  finetune: Record<string, unknown>;
}

/** A settings reader: `vscode.workspace.getConfiguration('fttl').get` in the extension, a map in tests. */
export type SettingsGetter = <T>(key: string) => T | undefined;

const int = (v: unknown, fallback: number, min: number, max: number) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fallback;
const frac = (v: unknown, fallback: number, min: number, max: number) => (typeof v === 'number' && v >= min && v < max ? v : fallback);
const str = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
// VS Code hands out read-only proxies for object settings, which cannot cross to the worker: copy them.
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (JSON.parse(JSON.stringify(v)) as Record<string, unknown>) : {};

export function readSettings(get: SettingsGetter): FttlSettings {
  const backend = get<string>('backend');
  const resize = get<string>('resizeMode');
  return {
    backbone: str(get('backbone')) ?? 'default',
    weightsCache: str(get('weightsCache')),
    batchSize: int(get('batchSize'), 16, 1, 4096),
    seed: int(get('seed'), 1, 0, 2 ** 32 - 1),
    backend: (BACKEND_PREFERENCES as readonly string[]).includes(backend ?? '') ? (backend as BackendPreference) : 'auto',
    workDir: str(get('workDir')) ?? '.fttl',
    resizeMode: (RESIZE_MODES as readonly string[]).includes(resize ?? '') ? (resize as FttlSettings['resizeMode']) : 'stretch',
    testFraction: frac(get('testFraction'), 0.3, 0.01, 1),
    valFraction: frac(get('valFraction'), 0.1, 0, 1),
    topK: int(get('classify.topK'), 3, 1, 100),
    head: { lr: obj(get('head.lr')), mlp1: obj(get('head.mlp1')), mlp2: obj(get('head.mlp2')) },
    finetune: obj(get('finetune')),
  };
}

/** The work folder (runs + caches): relative settings are relative to the workspace folder. */
export function resolveWorkDir(settings: Pick<FttlSettings, 'workDir'>, workspaceFolder: string | undefined, fallback: string): string {
  if (isAbsolute(settings.workDir)) return settings.workDir;
  return join(workspaceFolder ?? fallback, settings.workDir);
}
