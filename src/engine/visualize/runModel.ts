import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { stat } from 'node:fs/promises';
import { featureModel, type PoolingMode } from '../backbones/backbone.js';
import { fileSystemModelHandler } from '../backbones/fsModelIO.js';
import type { PreprocessKind } from '../backbones/preprocess.js';
import type { ResizeMode } from '../data/decodeImage.js';
import { loadHead } from '../heads/index.js';
import { getBackbone } from '../pipeline/backboneSession.js';
import type { RunRecord } from '../runs/runRecord.js';
import { readRun } from '../runs/runStore.js';
import { FttlError } from '../util/errors.js';
import { lastConvLayer } from './gradCam.js';
import { loadImage, type RawImage } from './image.js';

/** A run as one differentiable model: image (scaled its way) → class probabilities. */
export interface RunModel {
  record: RunRecord;
  /** [1, inputSize, inputSize, 3] → [1, classes]. For a transfer run: backbone up to the run's layer (+ its pooling) → head. */
  model: tf.LayersModel;
  classes: string[];
  inputSize: number;
  preprocess: PreprocessKind;
  resizeMode: ResizeMode;
  /** The layer Grad-CAM uses by default (lastConvLayer of `model`). */
  camLayer: string;
  /** Decodes an image file the way the run saw its images (size, resize mode, preprocessing). */
  loadImage(path: string): Promise<RawImage>;
  /** Frees what this call loaded (the head / the fine-tuned model); the shared backbone stays loaded. */
  dispose(): void;
}

/**
 * Builds a run's model from its folder:
 * - transfer runs: the backbone (loaded once per process, checked against the run's backbone id) cut
 *   at the run's layer with its pooling, followed by the saved head, composed into one tf.model whose
 *   outputs are exactly what `fttl classify` computes;
 * - fine-tune runs: the end-to-end TF.js Layers model saved in the run's model folder (`modelDir`,
 *   else `headDir`), used as it is (it must take images).
 */
export async function runModel(runDir: string, opts: { weightsCacheDir?: string } = {}): Promise<RunModel> {
  const record = await readRun(runDir);
  const { config } = record;
  const common = {
    record,
    classes: record.dataset.classes,
    inputSize: config.inputSize,
    preprocess: config.preprocess as PreprocessKind,
    resizeMode: config.resizeMode as ResizeMode,
    loadImage: (path: string) => loadImage(path, config.inputSize, { resizeMode: config.resizeMode as ResizeMode, preprocess: config.preprocess as PreprocessKind }),
  };
  // Fine-tune runs name their end-to-end model folder `modelDir` (newer records); `headDir` otherwise.
  const modelDir = join(runDir, (record as { modelDir?: string }).modelDir ?? record.headDir);
  if (record.kind === 'finetune') {
    const modelJson = join(modelDir, 'model.json');
    if (!(await stat(modelJson).then((s) => s.isFile(), () => false))) {
      throw new FttlError('bad-input', `Fine-tune run ${record.id} has no model at ${modelJson}.`);
    }
    let model: tf.LayersModel;
    try {
      model = await tf.loadLayersModel(fileSystemModelHandler(modelJson));
    } catch (err) {
      if (err instanceof FttlError) throw err;
      throw new FttlError('weights', `The model of run ${record.id} (${modelJson}) does not load: ${(err as Error).message}`, { cause: err });
    }
    if (model.inputs[0]?.shape.length !== 4) {
      model.dispose();
      throw new FttlError('bad-input', `The model of run ${record.id} (${modelJson}) does not take images.`);
    }
    let disposed = false;
    const dispose = () => {
      if (!disposed) model.dispose();
      disposed = true;
    };
    return { ...common, model, camLayer: lastConvLayer(model), dispose };
  }

  const backbone = await getBackbone(config.backbone, { weightsCacheDir: opts.weightsCacheDir });
  if (backbone.id !== config.backboneId) {
    throw new FttlError('weights', `Run ${record.id} was trained on backbone ${config.backboneId}, but "${config.backbone}" now loads ${backbone.id}: its features would not match.`);
  }
  const head = await loadHead(modelDir);
  const features = featureModel(backbone, config.layer, config.pooling as PoolingMode);
  if (head.dim !== features.outputs[0]!.shape.slice(1).reduce<number>((a, d) => a * (d ?? 1), 1)) {
    head.model.dispose();
    throw new FttlError('bad-input', `The head of run ${record.id} takes ${head.dim}-d features, but ${config.layer} (${config.pooling}) gives ${features.outputs[0]!.shape.slice(1).join('×')}.`);
  }
  let x = features.outputs[0]!;
  if (x.shape.length > 2) x = tf.layers.flatten({ name: 'fttl_vis_flatten' }).apply(x) as tf.SymbolicTensor;
  const probs = head.model.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: features.inputs, outputs: probs, name: `run_${record.id.replace(/[^A-Za-z0-9_]/g, '_')}` });
  // Disposing `model` would free the shared backbone's weights too: only the head is ours to free.
  // Applying it inside `model` raised its reference count, so dispose it down to zero.
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    while (head.model.dispose().refCountAfterDispose > 0);
  };
  return { ...common, model, camLayer: lastConvLayer(model), dispose };
}
