#!/usr/bin/env node
// Entry point of `npx fttl`: runs the bundled CLI (built by `npm run build`, which `npm install` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('fttl: the CLI is not built yet — run `npm run build` in the FTTL folder first.\n');
  process.exit(1);
}
await import(cli);
