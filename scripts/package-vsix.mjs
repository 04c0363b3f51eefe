// Builds the extension and packages it as a platform-specific .vsix with @vscode/vsce:
//   npm run package                  → fttl-<version>-<this platform>.vsix
//   npm run package -- --target win32-x64
// Native parts (sharp's libvips, onnxruntime-node) are per platform, so is the .vsix: onnxruntime's
// binaries for the other platforms are left out. Install with
//   code --install-extension fttl-<version>-<target>.vsix
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const ti = args.indexOf('--target');
const target = ti >= 0 ? args[ti + 1] : `${process.platform}-${process.arch}`;
const [os, arch] = target.split('-');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, `${pkg.name}-${pkg.version}-${target}.vsix`);

// Throws rather than exiting, so the finally below restores .vscodeignore on failure too.
const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv[0]} failed (exit ${r.status})`);
};
run(process.execPath, ['esbuild.config.mjs']);

// Leave out onnxruntime-node's binaries for other platforms (the .vscodeignore is restored afterwards).
const ignoreFile = join(root, '.vscodeignore');
const base = readFileSync(ignoreFile, 'utf8');
const ortBin = 'node_modules/onnxruntime-node/bin/napi-v6';
const extra = ['darwin', 'linux', 'win32'].filter((p) => p !== os).map((p) => `${ortBin}/${p}/**`);
extra.push(...['x64', 'arm64'].filter((a) => a !== arch).map((a) => `${ortBin}/${os}/${a}/**`));
writeFileSync(ignoreFile, `${base}\n# added for --target ${target}\n${extra.join('\n')}\n`);
try {
  rmSync(out, { force: true });
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  run(process.execPath, [vsce, 'package', '--target', target, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links']);
} finally {
  writeFileSync(ignoreFile, base);
}
if (existsSync(out)) console.log(`${out} (${(statSync(out).size / 2 ** 20).toFixed(1)} MiB)`);
