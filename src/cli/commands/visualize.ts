// `fttl activations | gradcam | embedding | errors`: "seeing inside" a backbone or a run.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { getBackbone } from '../../engine/pipeline/backboneSession.js';
import { readRun, resolveRun } from '../../engine/runs/runStore.js';
import { FttlError } from '../../engine/util/errors.js';
import { backboneActivations, visualisableLayers } from '../../engine/visualize/activations.js';
import { runEmbedding, type ProjectionMethod } from '../../engine/visualize/embedding.js';
import { gradCam } from '../../engine/visualize/gradCam.js';
import { runErrors, type LossItem } from '../../engine/visualize/losses.js';
import { blendOverlay, encodePng } from '../../engine/visualize/raster.js';
import { runModel } from '../../engine/visualize/runModel.js';
import { addCommonOptions, parseChoice, parseIntOption, parseNumberOption, runCommand, type CommonOptions } from '../context.js';
import { RESIZE_MODES } from './featureOptions.js';

const SHADES = ' .:-=+*#%@';

/** A [0, 1] map as text, one character per cell (darker = hotter). */
function asciiMap(values: ArrayLike<number>, height: number, width: number): string {
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    let line = '';
    for (let x = 0; x < width; x++) line += SHADES[Math.min(SHADES.length - 1, Math.floor(values[y * width + x]! * SHADES.length))]!.repeat(2);
    lines.push(`  |${line}|`);
  }
  return lines.join('\n');
}

/** A class given as an index or a name. */
function classRef(value: string, classes: string[], what: string): number {
  const byName = classes.indexOf(value);
  if (byName >= 0) return byName;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 0 && n < classes.length) return n;
  throw new FttlError('bad-input', `${what} "${value}" is neither a class index 0–${classes.length - 1} nor one of ${classes.join(', ')}.`);
}

function parseCell(value: string): [string, string] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new InvalidArgumentError('expected <true>,<predicted> (class indices or names), e.g. 2,0');
  return [parts[0]!, parts[1]!];
}

const pct = (p: number) => `${(p * 100).toFixed(1)}%`;

function lossTable(items: LossItem[]): string {
  if (items.length === 0) return '  (no images)';
  const rows = items.map((i, k) => [String(k + 1), i.loss.toFixed(3), i.label, i.predicted, pct(i.probability), pct(i.trueProbability), i.path]);
  const head = ['#', 'loss', 'true', 'predicted', 'p(pred)', 'p(true)', 'image'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: string[]) => '  ' + r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('  ');
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

/** The points as a character plot: true class index (0–9, then a–z) for the correct, '*' for the misclassified. */
function asciiScatter(points: { x: number; y: number; labelIndex: number; correct: boolean }[], width = 64, height = 20): string {
  if (points.length === 0) return '';
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const grid = Array.from({ length: height }, () => new Array<string>(width).fill(' '));
  // Misclassified last, so they stay visible.
  for (const p of [...points.filter((q) => q.correct), ...points.filter((q) => !q.correct)]) {
    const cx = x1 > x0 ? Math.round(((p.x - x0) / (x1 - x0)) * (width - 1)) : Math.floor(width / 2);
    const cy = y1 > y0 ? Math.round(((y1 - p.y) / (y1 - y0)) * (height - 1)) : Math.floor(height / 2);
    grid[cy]![cx] = !p.correct ? '*' : p.labelIndex < 10 ? String(p.labelIndex) : p.labelIndex < 36 ? String.fromCharCode(87 + p.labelIndex) : '#';
  }
  return grid.map((r) => `  |${r.join('')}|`).join('\n');
}

export function registerVisualize(program: Command): void {
  const activations = program
    .command('activations')
    .description("a layer's feature maps for one image, as a grid of per-channel normalised tiles (no --layer: list the layers)")
    .argument('<image>', 'image file')
    .option('--backbone <name|folder|.h5>', 'built-in name (see `fttl info`), TF.js model folder or URL, or Keras .h5 weights', 'default')
    .option('--layer <name>', 'the conv or pooling layer to show')
    .option('--out <file.png>', 'write the tile grid as a PNG')
    .option('--scale <n>', 'enlarge each tile n× in the PNG (nearest neighbour)', parseIntOption, 1)
    .option('--resize <mode>', `how the image becomes square: ${RESIZE_MODES.join(', ')}`, parseChoice(RESIZE_MODES), 'stretch');
  addCommonOptions(activations).action(
    async (image: string, opts: CommonOptions & { backbone: string; layer?: string; out?: string; scale: number; resize: (typeof RESIZE_MODES)[number] }) => {
      await runCommand(opts, async (ctx) => {
        const backbone = await getBackbone(opts.backbone, { weightsCacheDir: opts.weightsCache, onProgress: ctx.onProgress, signal: ctx.signal });
        if (!opts.layer) {
          const layers = visualisableLayers(backbone.model);
          const text = [`Layers of ${backbone.name} with feature maps (pass one as --layer):`, ...layers.map((l) => `  ${l.name.padEnd(24)} ${l.className.padEnd(20)} ${l.height}×${l.width}×${l.channels}`)].join('\n');
          return { json: { backbone: backbone.name, layers }, text };
        }
        const maps = await backboneActivations(backbone, image, opts.layer, { resizeMode: opts.resize, composite: { scale: opts.scale }, png: opts.out !== undefined });
        let out: string | undefined;
        if (opts.out) {
          out = resolve(opts.out);
          await writeFile(out, maps.png!);
        }
        const { composite, png: _png, tiles, min, max, ...meta } = maps;
        const json = {
          backbone: backbone.name,
          image: resolve(image),
          ...meta,
          min: Array.from(min),
          max: Array.from(max),
          normalisation: 'per-channel min/max to 0..255; constant channels are 0',
          tilesLayout: 'channel-major: channels × height × width bytes',
          tilesBase64: Buffer.from(tiles.buffer, tiles.byteOffset, tiles.byteLength).toString('base64'),
          ...(out ? { out, outWidth: composite!.width, outHeight: composite!.height } : {}),
        };
        const dead = Array.from(max).filter((m, c) => m === min[c]).length;
        const text = [
          `${maps.layer} of ${backbone.name}: ${maps.height}×${maps.width}×${maps.channels} → a ${maps.grid.rows}×${maps.grid.cols} grid of tiles (each channel normalised to its own min/max${dead ? `; ${dead} constant channel(s) shown black` : ''})`,
          out ? `Wrote ${out} (${composite!.width}×${composite!.height}).` : 'Pass --out grid.png to save the grid as a picture.',
        ].join('\n');
        return { json, text };
      });
    },
  );

  const gradcam = program
    .command('gradcam')
    .description('Grad-CAM: where in the image a run finds the evidence for a class')
    .argument('<image>', 'image file')
    .option('--run <id|dir|latest>', 'the trained run', 'latest')
    .option('--class <k>', 'class index or name to explain (default: the predicted class)')
    .option('--layer <name>', "conv layer to look from (default: the backbone's last conv block)")
    .option('--out <file.png>', 'write the image with the heat map over it as a PNG')
    .option('--opacity <f>', 'heat map opacity in the PNG, 0..1', parseNumberOption, 0.5);
  addCommonOptions(gradcam).action(
    async (image: string, opts: CommonOptions & { run: string; class?: string; layer?: string; out?: string; opacity: number }) => {
      await runCommand(opts, async (ctx) => {
        const runDir = await resolveRun(ctx.runsDir, opts.run);
        const rm = await runModel(runDir, { weightsCacheDir: opts.weightsCache });
        try {
          const classIndex = opts.class !== undefined ? classRef(opts.class, rm.classes, 'Class') : undefined;
          const raw = await rm.loadImage(image);
          const cam = await gradCam(rm.model, opts.layer ?? rm.camLayer, raw, classIndex, { opacity: opts.opacity });
          let out: string | undefined;
          if (opts.out) {
            out = resolve(opts.out);
            await writeFile(out, await encodePng(blendOverlay(raw.pixels, cam.overlay)));
          }
          const name = (i: number) => rm.classes[i] ?? String(i);
          const json = {
            run: rm.record.id,
            image: resolve(image),
            layer: cam.layer,
            classIndex: cam.classIndex,
            className: name(cam.classIndex),
            predictedIndex: cam.predictedIndex,
            predictedClass: name(cam.predictedIndex),
            probabilities: cam.probabilities,
            score: cam.score,
            heatmap: { height: cam.height, width: cam.width, values: Array.from(cam.heatmap, (v) => Math.round(v * 1e4) / 1e4) },
            ...(out ? { out } : {}),
          };
          const text = [
            `Grad-CAM of "${name(cam.classIndex)}" (p ${pct(cam.probabilities[cam.classIndex]!)}; predicted "${name(cam.predictedIndex)}" p ${pct(cam.probabilities[cam.predictedIndex]!)}) at ${cam.layer}, ${cam.height}×${cam.width}:`,
            cam.rawMax > 0 ? asciiMap(cam.heatmap, cam.height, cam.width) : '  (no positive evidence for this class in this layer: the map is empty)',
            out ? `Wrote ${out} (${cam.imageWidth}×${cam.imageHeight}, the image as the run saw it).` : 'Pass --out overlay.png to save the heat map over the image.',
          ].join('\n');
          return { json, text };
        } finally {
          rm.dispose();
        }
      });
    },
  );

  const embedding = program
    .command('embedding')
    .description("a run's test feature vectors in 2-D (PCA or UMAP), by true class, misclassified marked")
    .option('--run <id|dir|latest>', 'the trained run', 'latest')
    .option('--method <m>', 'pca or umap', parseChoice(['pca', 'umap'] as const), 'pca')
    .option('--seed <n>', 'UMAP seed', parseIntOption, 1)
    .option('--neighbors <n>', 'UMAP neighbours', parseIntOption, 15)
    .option('--min-dist <f>', 'UMAP minimum distance', parseNumberOption, 0.1);
  addCommonOptions(embedding).action(
    async (opts: CommonOptions & { run: string; method: ProjectionMethod; seed: number; neighbors: number; minDist: number }) => {
      await runCommand(opts, async (ctx) => {
        const runDir = await resolveRun(ctx.runsDir, opts.run);
        const map = await runEmbedding(runDir, {
          featureCacheDir: ctx.featureCacheDir,
          weightsCacheDir: opts.weightsCache,
          onProgress: ctx.onProgress,
          signal: ctx.signal,
          method: opts.method,
          seed: opts.seed,
          nNeighbors: opts.neighbors,
          minDist: opts.minDist,
        });
        const wrong = map.points.filter((p) => !p.correct).length;
        const how = map.method === 'pca' ? `PCA (x ${pct(map.explainedVarianceRatio![0])}, y ${pct(map.explainedVarianceRatio![1])} of the variance)` : `UMAP (seed ${map.umap!.seed}, ${map.umap!.nNeighbors} neighbours)`;
        const text = [
          `${map.points.length} test images, ${map.dim}-d features, by ${how}; ${wrong} misclassified (*).`,
          asciiScatter(map.points),
          `  classes: ${map.classes.map((c, i) => `${i} = ${c}`).join(', ')}`,
          ...(map.skipped.length ? [`  ${map.skipped.length} image(s) could not be read: ${map.skipped.map((s) => s.path).join(', ')}`] : []),
        ].join('\n');
        return { json: map, text };
      });
    },
  );

  const errors = program
    .command('errors')
    .description("a run's test images by loss (top losses), or those of one confusion-matrix cell")
    .option('--run <id|dir|latest>', 'the trained run', 'latest')
    .option('--cell <true,predicted>', 'only the images of this confusion-matrix cell (class indices or names)', parseCell)
    .option('--top <n>', 'how many images (default 10; all of a cell)', parseIntOption)
    .option('--misclassified', 'leave out the correctly classified');
  addCommonOptions(errors).action(
    async (opts: CommonOptions & { run: string; cell?: [string, string]; top?: number; misclassified?: boolean }) => {
      await runCommand(opts, async (ctx) => {
        const runDir = await resolveRun(ctx.runsDir, opts.run);
        let cell: { trueIndex: number; predictedIndex: number } | undefined;
        if (opts.cell) {
          const classes = (await readRun(runDir)).dataset.classes;
          cell = { trueIndex: classRef(opts.cell[0], classes, 'True class'), predictedIndex: classRef(opts.cell[1], classes, 'Predicted class') };
        }
        const result = await runErrors(runDir, {
          ...(cell ? { cell } : {}),
          ...(opts.top !== undefined || !cell ? { top: opts.top ?? 10 } : {}),
          misclassifiedOnly: Boolean(opts.misclassified),
        });
        const title = cell
          ? `Test images of true "${result.classes[cell.trueIndex]}" predicted "${result.classes[cell.predictedIndex]}" (${result.confusionMatrix[cell.trueIndex]![cell.predictedIndex]} in the cell), highest loss first:`
          : `Top ${result.items.length} losses (−ln p(true class))${opts.misclassified ? ', misclassified only' : ''}:`;
        return { json: result, text: `${title}\n${lossTable(result.items)}` };
      });
    },
  );
}
