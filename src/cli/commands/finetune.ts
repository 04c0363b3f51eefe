import type { Command } from 'commander';
import type { HeadKind } from '../../engine/heads/index.js';
import { DEFAULT_AUGMENT, type AugmentConfig, type FinetuneConfig } from '../../engine/finetune/index.js';
import { finetuneRun } from '../../engine/pipeline/finetuneRun.js';
import { EXIT } from '../exitCodes.js';
import { addCommonOptions, parseChoice, parseIntOption, parseNumberOption, runCommand, type CommonOptions } from '../context.js';
import { addDataOptions, dataRunOptions, type DataOptions } from './featureOptions.js';
import { runResultJson, runResultText } from './train.js';

interface FinetuneOptions extends CommonOptions, DataOptions {
  headFrom?: string;
  head: HeadKind;
  blocks?: number;
  fromLayer?: string;
  epochs?: number;
  trainBatchSize?: number;
  learningRate?: number;
  momentum?: number;
  optimizer?: FinetuneConfig['optimizer'];
  batchNorm?: FinetuneConfig['batchNorm'];
  classWeight?: FinetuneConfig['classWeight'];
  augment?: boolean;
  rotate?: AugmentConfig['rotate'];
}

/** The fine-tuning settings the options override (the rest keep the seed's preset). */
export function finetuneOverrides(opts: FinetuneOptions): Partial<FinetuneConfig> {
  const o: Partial<FinetuneConfig> = { seed: opts.seed, head: opts.head };
  if (opts.blocks !== undefined) o.blocks = opts.blocks;
  if (opts.fromLayer !== undefined) o.fromLayer = opts.fromLayer;
  if (opts.epochs !== undefined) o.epochs = opts.epochs;
  if (opts.trainBatchSize !== undefined) o.batchSize = opts.trainBatchSize;
  if (opts.learningRate !== undefined) o.learningRate = opts.learningRate;
  if (opts.momentum !== undefined) o.momentum = opts.momentum;
  if (opts.optimizer !== undefined) o.optimizer = opts.optimizer;
  if (opts.batchNorm !== undefined) o.batchNorm = opts.batchNorm;
  if (opts.classWeight !== undefined) o.classWeight = opts.classWeight;
  if (opts.augment) o.augment = { ...DEFAULT_AUGMENT, ...(opts.rotate !== undefined ? { rotate: opts.rotate } : {}) };
  return o;
}

export function registerFinetune(program: Command): void {
  const cmd = program
    .command('finetune')
    .description("unfreeze the backbone's last block(s) and train them with a dense head (the rest frozen); evaluate on the test split")
    .option('--head-from <run>', 'FT#2: start the head from this transfer run (id, folder or "latest"); default FT#1: a random head')
    .option('--head <kind>', 'architecture of a random head: lr, mlp1, mlp2', parseChoice(['lr', 'mlp1', 'mlp2'] as const), 'mlp1')
    .option('--blocks <n>', 'how many last blocks to unfreeze (preset 1: VGG-16 block5, MobileNet v1 conv_dw/pw_13, v2 block_16 + Conv_1)', parseIntOption)
    .option('--from-layer <name>', 'first layer to train, instead of --blocks (needed for custom models)')
    .option('--epochs <n>', 'epochs (preset 20)', parseIntOption)
    .option('--train-batch-size <n>', 'images per training step (preset 32)', parseIntOption)
    .option('--learning-rate <x>', 'learning rate (preset 1e-4)', parseNumberOption)
    .option('--momentum <x>', 'SGD momentum (preset 0.9)', parseNumberOption)
    .option('--optimizer <name>', 'sgd (preset) or adam', parseChoice(['sgd', 'adam'] as const))
    .option('--batch-norm <mode>', 'BatchNorm in the unfrozen block: train (batch statistics, preset) or frozen', parseChoice(['train', 'frozen'] as const))
    .option('--class-weight <mode>', 'none or balanced', parseChoice(['none', 'balanced'] as const))
    .option('--augment', 'augment training images on the fly (flips, rotation, 5 % shift, 10 % zoom, brightness/contrast); the frozen part then runs every epoch')
    .option('--rotate <mode>', 'with --augment: none, rot90 or free (preset)', parseChoice(['none', 'rot90', 'free'] as const));
  addCommonOptions(addDataOptions(cmd)).action(async (opts: FinetuneOptions) => {
    let cancelled = false;
    await runCommand(opts, async (ctx) => {
      const result = await finetuneRun({ ...dataRunOptions(opts, ctx), finetune: finetuneOverrides(opts), headFrom: opts.headFrom });
      const r = result.record;
      cancelled = r.status === 'cancelled';
      const ips = r.finetune?.imagesPerSecond ?? [];
      const notes = [
        `Trained ${r.finetune?.trainableLayers.length ?? 0} backbone layers (from ${r.finetune?.trainableLayers[0] ?? '?'}) + head; ` +
          `best epoch ${r.bestEpoch ?? '—'} of ${r.history.length} by ${r.finetune?.monitor ?? 'val_loss'}; ` +
          `${ips.length ? (ips.reduce((a, b) => a + b, 0) / ips.length).toFixed(1) : '—'} training images/s` +
          (r.finetune?.prefixCached === false ? ' (augmented: the frozen part ran every epoch)' : ''),
      ];
      if (cancelled) notes.push(`Cancelled after epoch ${r.history.length}: the best epoch (${r.bestEpoch}) was kept and evaluated.`);
      return { json: { ...runResultJson(result), status: r.status ?? 'complete', bestEpoch: r.bestEpoch }, text: `${runResultText(result)}\n${notes.join('\n')}` };
    });
    if (cancelled && !process.exitCode) process.exitCode = EXIT.cancelled;
  });
}
