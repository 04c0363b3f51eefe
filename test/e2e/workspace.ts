// Makes the e2e workspace: a small real dataset (RetinaMNIST subset from ../shared, else the synthetic
// fundus generator), a bigger copy for the cancel test, sample images, and the bad inputs
// (a folder with no images, a text file named .png).
// Usage: node --import tsx test/e2e/workspace.ts <dir>
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeSyntheticFundusDataset, SYNTHETIC_CLASSES } from '../../src/engine/data/synthetic.js';
import { SHARED_DIR } from '../helpers/shared.js';

const dir = resolve(process.argv[2] ?? 'test/e2e/workspace');
const PER_CLASS = 12;
const BIG_PER_CLASS = 60;

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const retina = join(SHARED_DIR, 'data', 'retinamnist28', 'train');
let source: string;
if (existsSync(retina)) {
  source = 'RetinaMNIST (real fundus photos, 28 px) from ../shared';
  for (const cls of readdirSync(retina).sort()) {
    const files = readdirSync(join(retina, cls)).filter((f) => f.endsWith('.png')).sort();
    for (const [name, n] of [['retina', PER_CLASS], ['big', BIG_PER_CLASS]] as const) {
      mkdirSync(join(dir, 'data', name, cls), { recursive: true });
      for (const f of files.slice(0, n)) cpSync(join(retina, cls, f), join(dir, 'data', name, cls, f));
    }
    // Two images the model never saw, to classify.
    const spare = files.at(-1)!;
    if (cls === '0_no_dr' || cls === '3_severe') cpSync(join(retina, cls, spare), join(dir, 'samples', `fundus_${cls}.png`), { recursive: true });
  }
} else {
  if (process.env.CI === 'true') throw new Error(`CI needs ${retina}`);
  source = 'synthetic fundus-like images (../shared absent)';
  await writeSyntheticFundusDataset(join(dir, 'data', 'retina'), { perClass: PER_CLASS, size: 64, seed: 1 });
  await writeSyntheticFundusDataset(join(dir, 'data', 'big'), { perClass: BIG_PER_CLASS, size: 64, seed: 2 });
  mkdirSync(join(dir, 'samples'), { recursive: true });
  cpSync(join(dir, 'data', 'big', SYNTHETIC_CLASSES[0], 'synthetic_0_0059.png'), join(dir, 'samples', 'fundus_0_no_dr.png'));
  cpSync(join(dir, 'data', 'big', SYNTHETIC_CLASSES[3], 'synthetic_3_0059.png'), join(dir, 'samples', 'fundus_3_severe.png'));
}
// Bad inputs.
writeFileSync(join(dir, 'samples', 'broken.png'), 'This is a text file with a .png name, not an image.\n');
mkdirSync(join(dir, 'empty-folder'), { recursive: true });
writeFileSync(join(dir, 'empty-folder', 'README.txt'), 'No images here.\n');
mkdirSync(join(dir, '.vscode'), { recursive: true });
writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'fttl.seed': 1, 'fttl.batchSize': 8, 'fttl.finetune': { epochs: 2, batchSize: 16 },
  // Long enough to close the training panel while it runs (50 epochs take about 2 s here).
  'fttl.head.mlp2': { epochs: 400 } }, null, 2) + '\n');
writeFileSync(join(dir, 'README.md'), `# FTTL e2e workspace\n\nData: ${source}.\n`);
console.log(`workspace ${dir}: ${source}`);
