import { mkdir, rename, writeFile, rm, stat } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes a file so that readers see either the old content or the new, never a half-written one:
 * write a temporary sibling, then rename over the target (atomic on one filesystem).
 */
export async function atomicWriteFile(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export async function atomicWriteJson(path: string, value: unknown): Promise<void> {
  await atomicWriteFile(path, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Writes `files` (name → content) into a hidden sibling folder of `dir`, then swaps it in by
 * rename, so `dir` holds either its old content or the new, never half of it. On failure the
 * previous folder is put back, the temporary one removed, and the error rethrown.
 */
export async function atomicWriteFolder(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  const tag = randomBytes(6).toString('hex');
  const tmp = join(dirname(dir), `.${basename(dir)}.${tag}.tmp`);
  const old = join(dirname(dir), `.${basename(dir)}.${tag}.old`);
  try {
    await mkdir(tmp, { recursive: true });
    for (const [name, data] of Object.entries(files)) await writeFile(join(tmp, name), data);
    const replacing = await stat(dir).then(() => true, () => false);
    if (replacing) await rename(dir, old);
    try {
      await rename(tmp, dir);
    } catch (err) {
      if (replacing) await rename(old, dir); // put the previous folder back
      throw err;
    }
    if (replacing) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}
