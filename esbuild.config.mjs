// One build, one target per bundle: the CLI now; the extension host, the engine worker and the
// webview join as they land. Run with `node esbuild.config.mjs` (or `npm run build`).
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');

/** @type {esbuild.BuildOptions[]} */
const targets = [
  {
    // The headless CLI: Node ESM; dependencies stay in node_modules (native sharp, wasm files).
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
  },
  {
    // The VS Code extension host entry: CommonJS (VS Code require()s `main`), `vscode` provided by the host.
    // Only zod and Node built-ins are bundled; the engine never runs here, it runs in the worker.
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.cjs',
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: true,
  },
  {
    // The engine worker (worker_threads), ESM like the CLI; dependencies stay in node_modules
    // (native sharp and onnxruntime-node, the wasm files of tfjs-backend-wasm and h5wasm, nsfwjs' model).
    entryPoints: ['src/worker/main.ts'],
    outfile: 'dist/worker.js',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
  },
  {
    // The webviews (side panel, report, activations, classification) and the standalone HTML report:
    // one browser bundle + one stylesheet, no remote content.
    entryPoints: { webview: 'webview/src/main.ts' },
    outdir: 'dist',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    legalComments: 'linked',
    sourcemap: false,
  },
];

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
