import type { Command } from 'commander';
import type { BaseFeatureOptions } from '../../engine/pipeline/prepareFeatures.js';
import { parseChoice, parseIntOption, parseNumberOption, type CommandContext, type CommonOptions } from '../context.js';

export const RESIZE_MODES = ['stretch', 'crop', 'pad'] as const;
export const POOLING_MODES = ['flatten', 'avg', 'none'] as const;

/** Options shared by every command that turns a dataset into feature vectors. */
export interface DataOptions {
  train: string;
  test?: string;
  backbone: string;
  layer?: string;
  pooling?: (typeof POOLING_MODES)[number];
  resize: (typeof RESIZE_MODES)[number];
  seed: number;
  testFraction: number;
  valFraction: number;
  batchSize: number;
}

export function addDataOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--train <folder|csv>', 'training images: class sub-folders, a folder with train/ val/ test/, or a CSV of image,level')
    .option('--test <folder|csv>', 'held-out test images (default: a stratified split of --train)')
    .option('--backbone <name|folder|.h5>', 'built-in name (see `fttl info`), TF.js model folder or URL, or Keras .h5 weights', 'default')
    .option('--layer <name>', 'layer to take features from (default: the backbone\'s usual one)')
    .option('--pooling <mode>', `how a conv layer becomes a vector: ${POOLING_MODES.join(', ')}`, parseChoice(POOLING_MODES))
    .option('--resize <mode>', `how images become square: ${RESIZE_MODES.join(', ')}`, parseChoice(RESIZE_MODES), 'stretch')
    .option('--seed <n>', 'seed for splits, initialisation and shuffling', parseIntOption, 1)
    .option('--test-fraction <f>', 'test share of a stratified split', parseNumberOption, 0.3)
    .option('--val-fraction <f>', 'validation share of the training split (early stopping)', parseNumberOption, 0.1)
    .option('--batch-size <n>', 'images per forward pass when extracting', parseIntOption, 16);
}

/** The engine options (features, transfer runs, fine-tuning) that the data options and the command's context give. */
export function dataRunOptions(opts: CommonOptions & DataOptions, ctx: CommandContext): BaseFeatureOptions & { runsDir: string } {
  return {
    train: opts.train,
    test: opts.test,
    backbone: opts.backbone,
    layer: opts.layer,
    pooling: opts.pooling,
    resizeMode: opts.resize,
    seed: opts.seed,
    testFraction: opts.testFraction,
    valFraction: opts.valFraction,
    runsDir: ctx.runsDir,
    featureCacheDir: ctx.featureCacheDir,
    weightsCacheDir: opts.weightsCache,
    batchSize: opts.batchSize,
    onProgress: ctx.onProgress,
    signal: ctx.signal,
  };
}
