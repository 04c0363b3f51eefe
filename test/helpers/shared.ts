import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

/** `../shared` beside the project root: real data for tests (see its README). */
export const SHARED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared');

/**
 * Path of a file or folder under ../shared/data, or a skip reason when it is absent.
 * In CI (CI=true) a missing path is a failure, never a silent skip.
 */
export function sharedData(rel: string): { path: string; skip: false | string } {
  const path = resolve(SHARED_DIR, 'data', rel);
  if (existsSync(path)) return { path, skip: false };
  if (process.env.CI === 'true') throw new Error(`CI needs ${path} (../shared/data is missing)`);
  const reason = `SKIPPED: ${path} is absent (../shared/data not beside the project)`;
  console.log(reason);
  return { path, skip: reason };
}

/**
 * Real photographs of ImageNet subjects fetched by scripts/fetch-test-photos.sh (from Debian's
 * scikit-image package). Absent → skip with a message, except in CI, which runs that script first.
 */
export function testPhoto(name: string): { path: string; skip: false | string } {
  const dir = process.env.FTTL_TEST_PHOTOS ?? resolve(homedir(), '.cache/fttl-test-photos');
  const path = resolve(dir, name);
  if (existsSync(path)) return { path, skip: false };
  if (process.env.CI === 'true') throw new Error(`CI needs ${path}: run scripts/fetch-test-photos.sh`);
  const reason = `SKIPPED: ${path} is absent (run scripts/fetch-test-photos.sh)`;
  console.log(reason);
  return { path, skip: reason };
}
