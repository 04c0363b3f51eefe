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
];

if (watch) {
  for (const t of targets) await (await esbuild.context(t)).watch();
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
}
