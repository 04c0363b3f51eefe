// Internal: loads h5wasm's Node build (which reads and writes the real filesystem through Emscripten's
// NODERAWFS) and runs HDF5 calls so that a failure throws one short, readable reason instead of
// printing HDF5's diagnostic stack to stderr.
import { open } from 'node:fs/promises';
import type * as H5 from 'h5wasm/node';

type H5Lib = typeof H5;

let loading: Promise<H5Lib> | undefined;

/** h5wasm's Node entry, loaded once and only when first needed (it is a 4 MB wasm module). */
export function loadH5(): Promise<H5Lib> {
  loading ??= (async () => {
    const lib = await import('h5wasm/node');
    await lib.ready;
    return lib;
  })();
  return loading;
}

/**
 * Runs synchronous h5wasm calls with HDF5's throwing error handler switched on, so an HDF5 failure
 * becomes a JavaScript exception (see hdf5Reason) rather than a silent -1 id and a stderr dump.
 * `fn` must be synchronous: the handler is global to the wasm module.
 */
export async function withH5<T>(fn: (lib: H5Lib) => T): Promise<T> {
  const lib = await loadH5();
  const module = lib.Module as unknown as {
    activate_throwing_error_handler(): number;
    deactivate_throwing_error_handler(): number;
  };
  module.activate_throwing_error_handler();
  try {
    return fn(lib);
  } finally {
    module.deactivate_throwing_error_handler();
  }
}

/**
 * One line out of an HDF5 error: HDF5's diagnostic stack ends with the innermost cause
 * (e.g. "truncated file: eof = 3000, …"); anything else is passed through.
 */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (!text.includes('HDF5-DIAG')) return text.split('\n')[0] ?? text;
  const frames = [...text.matchAll(/#\d+:.* in [\w.]+\(\): (.*)$/gm)].map((m) => m[1]!.trim());
  return frames.at(-1) ?? 'HDF5 error';
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Whether the file carries HDF5's signature where the format allows it: at byte 0, 512, 1024, 2048, …
 * (a "user block" may precede the superblock).
 */
export async function hasHdf5Signature(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      const { bytesRead } = await fh.read(buf, 0, 8, offset);
      if (bytesRead === 8 && buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    await fh.close();
  }
}
