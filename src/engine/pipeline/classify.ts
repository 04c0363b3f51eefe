import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { PoolingMode } from '../backbones/backbone.js';
import { decodeImage, type ResizeMode } from '../data/decodeImage.js';
import { loadHead, predictProba } from '../heads/index.js';
import { createRunner } from '../inference/createRunner.js';
import type { ForwardRunner } from '../inference/forwardRunner.js';
import { readRun } from '../runs/runStore.js';
import { FttlError, throwIfCancelled } from '../util/errors.js';
import { getBackbone } from './backboneSession.js';
import { finetuneClassifier } from './finetuneModel.js';

export interface ClassScore {
  className: string;
  index: number;
  probability: number;
}
export interface Classification {
  path: string;
  top: ClassScore[];
  probabilities: number[];
}

/** A model that maps one image file to class probabilities: a run's backbone + head, or a backbone's own top. */
export interface ImageClassifier {
  classes: string[];
  resizeMode: ResizeMode;
  /** Image → vector (features, or the class probabilities when there is no head). */
  features: ForwardRunner;
  /** Feature vector → class probabilities; absent when `features` already ends in the classifier. */
  head?: tf.LayersModel;
  dispose(): void;
}

/** The classifier of a finished run: its backbone's feature layer followed by its trained head. */
export async function classifierFromRun(runDir: string, opts: { weightsCacheDir?: string; onnxCacheDir?: string } = {}): Promise<ImageClassifier> {
  const record = await readRun(runDir);
  if (record.kind === 'finetune') return finetuneClassifier(runDir, record); // its saved model is the whole classifier
  const backbone = await getBackbone(record.config.backbone, { weightsCacheDir: opts.weightsCacheDir });
  if (backbone.id !== record.config.backboneId) {
    throw new FttlError('weights', `Run ${record.id} was trained on backbone ${record.config.backboneId}, but "${record.config.backbone}" now loads ${backbone.id}: its features would not match.`);
  }
  const pooling = record.config.pooling as PoolingMode;
  const features = await createRunner({ backbone, layer: record.config.layer, pooling, onnxCacheDir: opts.onnxCacheDir });
  const head = await loadHead(join(runDir, record.headDir));
  return {
    classes: record.dataset.classes,
    resizeMode: record.config.resizeMode as ResizeMode,
    features,
    head: head.model,
    dispose: () => {
      features.dispose();
      head.model.dispose();
    },
  };
}

/** A backbone that still has its classification top (e.g. ImageNet), used as it is. */
export async function classifierFromBackbone(source: string, opts: { weightsCacheDir?: string; onnxCacheDir?: string } = {}): Promise<ImageClassifier> {
  const backbone = await getBackbone(source, { weightsCacheDir: opts.weightsCacheDir });
  if (!backbone.classNames) {
    throw new FttlError('bad-input', `Backbone "${source}" has no classification top; classify with a trained run (--run).`);
  }
  const features = await createRunner({ backbone, wholeModel: true, onnxCacheDir: opts.onnxCacheDir });
  return {
    classes: backbone.classNames,
    resizeMode: 'stretch',
    features,
    // The backbone stays loaded for reuse by later commands; only the runner's session is freed.
    dispose: () => features.dispose(),
  };
}

/** Classifies image files one by one; an unreadable file fails with its path in the message. */
export async function classifyImages(classifier: ImageClassifier, paths: string[], topK: number, signal?: AbortSignal): Promise<Classification[]> {
  const results: Classification[] = [];
  const { features, head } = classifier;
  for (const path of paths) {
    throwIfCancelled(signal);
    const vector = await features.run(await decodeImage(path, features.inputSize, classifier.resizeMode), 1);
    const probabilities = head ? Array.from(predictProba(head, { data: vector, rows: 1, dim: features.outputSize })) : Array.from(vector);
    const top = probabilities
      .map((probability, index) => ({ className: classifier.classes[index] ?? String(index), index, probability }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, Math.max(1, topK));
    results.push({ path, top, probabilities });
  }
  return results;
}
