import type { Command } from 'commander';
import { headPreset, type HeadConfig, type HeadKind } from '../../engine/heads/index.js';
import { transferRun, type RunResult } from '../../engine/pipeline/transferRun.js';
import { formatClassificationReport } from '../../engine/metrics/classificationReport.js';
import { addCommonOptions, parseChoice, parseIntOption, parseNumberOption, runCommand, type CommonOptions } from '../context.js';
import { addDataOptions, dataRunOptions, type DataOptions } from './featureOptions.js';

const HEADS = ['lr', 'mlp1', 'mlp2'] as const;

interface TrainOptions extends CommonOptions, DataOptions {
  head: HeadKind;
  epochs?: number;
  headBatchSize?: number;
  learningRate?: number;
  optimizer?: HeadConfig['optimizer'];
  c?: number;
  maxIter?: number;
  classWeight?: 'none' | 'balanced';
  earlyStopping?: number;
}

export function headConfigFrom(opts: TrainOptions): HeadConfig {
  const overrides: Partial<HeadConfig> = { seed: opts.seed };
  if (opts.epochs !== undefined) overrides.epochs = opts.epochs;
  if (opts.headBatchSize !== undefined) overrides.batchSize = opts.headBatchSize;
  if (opts.learningRate !== undefined) overrides.learningRate = opts.learningRate;
  if (opts.optimizer !== undefined) overrides.optimizer = opts.optimizer;
  if (opts.c !== undefined) overrides.C = opts.c;
  if (opts.maxIter !== undefined) overrides.maxIter = opts.maxIter;
  if (opts.classWeight !== undefined) overrides.classWeight = opts.classWeight;
  if (opts.earlyStopping !== undefined) overrides.earlyStopping = opts.earlyStopping > 0 ? { patience: opts.earlyStopping } : null;
  return headPreset(opts.head, overrides);
}

/** The JSON a script gets from `fttl train --json` (documented in the README). */
export function runResultJson(r: RunResult) {
  const m = r.record.metrics;
  return {
    runId: r.record.id,
    model: r.record.model,
    classes: m.classes,
    accuracy: m.accuracy,
    kappa: m.kappa,
    auc: m.auc,
    confusionMatrix: m.confusionMatrix,
    report: m.report,
    backend: r.record.backend.name,
    runtime: r.record.backend.runtime,
    ...(r.record.backend.trainer ? { trainer: r.record.backend.trainer } : {}),
    runDir: r.runDir,
    skipped: r.record.skipped,
    predictions: r.predictions,
  };
}

export function runResultText(r: RunResult): string {
  const m = r.record.metrics;
  const lines = [
    `${r.record.model}: accuracy ${m.accuracy.toFixed(3)}, kappa quadratic ${m.kappa.quadratic.toFixed(3)} / linear ${m.kappa.linear.toFixed(3)} / unweighted ${m.kappa.unweighted.toFixed(3)}, ROC AUC ${m.auc === null ? '—' : m.auc.toFixed(3)} (test n=${m.count})`,
    '',
    formatClassificationReport(m.report),
    '',
    'Confusion matrix (rows true, columns predicted):',
    ...m.confusionMatrix.map((row, i) => `  ${m.classes[i]!.padEnd(16)} ${row.map((v) => String(v).padStart(5)).join('')}`),
  ];
  if (r.record.skipped.length) lines.push('', `Skipped ${r.record.skipped.length} unreadable file(s):`, ...r.record.skipped.map((s) => `  ${s.path}: ${s.reason}`));
  const b = r.record.backend;
  const trained = b.trainer ? `, trained on ${b.trainer}${b.trainerNote ? ` (onnxruntime could not: ${b.trainerNote})` : ''}` : '';
  lines.push('', `Features computed by ${b.runtime}${trained}; run saved in ${r.runDir}`);
  return lines.join('\n');
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('extract features with a frozen backbone, train a head, evaluate it on the test split')
    .option('--head <kind>', `head: ${HEADS.join(', ')} (logistic regression, 1- or 2-layer MLP)`, parseChoice(HEADS), 'mlp1')
    .option('--epochs <n>', 'MLP epochs (preset 50)', parseIntOption)
    .option('--head-batch-size <n>', 'MLP batch size (preset 32 for mlp1, 64 for mlp2)', parseIntOption)
    .option('--learning-rate <x>', 'MLP learning rate (preset: Adadelta 1.0)', parseNumberOption)
    .option('--optimizer <name>', 'MLP optimizer: adadelta, adam, sgd', parseChoice(['adadelta', 'adam', 'sgd'] as const))
    .option('--c <x>', 'logistic regression inverse L2 strength (preset 1.0, as scikit-learn)', parseNumberOption)
    .option('--max-iter <n>', 'logistic regression L-BFGS iterations (preset 100)', parseIntOption)
    .option('--class-weight <mode>', 'none or balanced (for imbalanced classes)', parseChoice(['none', 'balanced'] as const))
    .option('--early-stopping <patience>', 'stop when validation loss has not improved for this many epochs (0 = off)', parseIntOption);
  addCommonOptions(addDataOptions(cmd)).action(async (opts: TrainOptions) => {
    await runCommand(opts, async (ctx) => {
      const result = await transferRun({ ...dataRunOptions(opts, ctx), head: headConfigFrom(opts) });
      return { json: runResultJson(result), text: runResultText(result) };
    });
  });
}
