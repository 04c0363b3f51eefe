import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../data/deriveSeed.js';
import { headPreset, loadHead, type HeadConfig, type HeadKind } from '../heads/index.js';
import { buildMlp } from '../heads/mlpModel.js';
import type { RunRecord } from '../runs/runRecord.js';
import { readRun } from '../runs/runStore.js';
import { FttlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** The head a fine-tune starts from: FT#1 random, FT#2 a trained transfer-learning head. */
export interface InitialHead {
  model: tf.LayersModel;
  kind: HeadKind;
  config: HeadConfig;
  init: 'random' | 'run';
  /** The run it came from (FT#2). */
  fromRun?: { id: string; dir: string };
}

/** A freshly initialised head of `kind` (the seed's architecture), seeded. */
export function randomHead(kind: HeadKind, dim: number, numClasses: number, seed: number): InitialHead {
  const config = headPreset(kind, { seed });
  const model = buildMlp(config, dim, numClasses, new Rng(deriveSeed(seed, 'finetune head')));
  return { model, kind, config, init: 'random' };
}

/** What a fine-tune needs of a head, checked by headFromRun. */
export interface HeadExpectation {
  backboneId: string;
  backboneName: string;
  featureLayer: string;
  pooling: string;
  dim: number;
  classes: string[];
}

/** Reads a run's record, refusing runs that have no standalone head (fine-tunes). */
export async function readHeadRun(runDir: string): Promise<RunRecord> {
  const record = await readRun(runDir);
  if (record.kind !== 'transfer') {
    throw new FttlError('bad-input', `Run ${record.id} is a ${record.kind} run; --head-from needs a transfer-learning run (fttl train) whose head was trained on frozen features.`);
  }
  return record;
}

/**
 * The trained head of a transfer-learning run, refused with a clear FttlError unless it fits:
 * the same backbone weights (id), features from the same layer with the same pooling (so the
 * same input size), and the same classes in the same order.
 */
export async function headFromRun(runDir: string, want: HeadExpectation): Promise<InitialHead> {
  const record = await readHeadRun(runDir);
  const c = record.config;
  const id = record.id;
  if (c.backboneId !== want.backboneId) {
    throw new FttlError('bad-input', `The head of run ${id} was trained on backbone ${c.backboneId} (${c.backboneName}), not on ${want.backboneId} (${want.backboneName}): its input would not mean the same.`);
  }
  if (c.layer !== want.featureLayer || c.pooling !== want.pooling) {
    throw new FttlError('bad-input', `The head of run ${id} was trained on ${c.layer} (${c.pooling}) features, but this fine-tune feeds its head ${want.featureLayer} (${want.pooling}) features.`);
  }
  const classes = record.dataset.classes;
  if (classes.length !== want.classes.length || classes.some((name, i) => name !== want.classes[i])) {
    throw new FttlError('bad-input', `The head of run ${id} predicts classes [${classes.join(', ')}] but this data has [${want.classes.join(', ')}].`);
  }
  const head = await loadHead(join(runDir, record.headDir));
  if (head.dim !== want.dim || head.numClasses !== want.classes.length) {
    head.model.dispose();
    throw new FttlError('bad-input', `The head of run ${id} maps ${head.dim}-d features to ${head.numClasses} classes; this fine-tune needs ${want.dim}-d to ${want.classes.length}.`);
  }
  const unsupported = head.model.layers.find((l) => !['Dense', 'BatchNormalization', 'Dropout'].includes(l.getClassName()));
  if (unsupported) {
    head.model.dispose();
    throw new FttlError('bad-input', `The head of run ${id} has a ${unsupported.getClassName()} layer; FTTL fine-tunes heads made of Dense, BatchNormalization and Dropout layers.`);
  }
  return { model: head.model, kind: head.config.kind, config: head.config, init: 'run', fromRun: { id, dir: runDir } };
}
