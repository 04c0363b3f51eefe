import * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileSystemModelHandler } from '../backbones/fsModelIO.js';
import { captureModelArtifacts } from '../heads/persist.js';
import { atomicWriteFolder } from '../util/atomicWrite.js';
import { FttlError } from '../util/errors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Saves a model as a TF.js Layers model folder (model.json + weights.bin, loadable with
 * tf.loadLayersModel in Node or a browser), plus `extra` JSON files beside it. Written into a
 * hidden sibling folder and swapped in by rename: `dir` holds the old model or the new, never half.
 */
export async function saveModelFolder(model: tf.LayersModel, dir: string, extra: Record<string, unknown> = {}): Promise<void> {
  dir = resolve(dir);
  const artifacts = await captureModelArtifacts(model, 'model');
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: 'FTTL',
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs }],
  };
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
  const files: Record<string, string | Uint8Array> = { [WEIGHTS_BIN]: weights, [MODEL_JSON]: JSON.stringify(modelJson) };
  for (const [name, value] of Object.entries(extra)) files[name] = JSON.stringify(value, null, 2) + '\n';
  try {
    await atomicWriteFolder(dir, files);
  } catch (err) {
    throw new FttlError('internal', `Could not save the model to ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Loads a folder written by saveModelFolder (or any TF.js Layers model folder). */
export async function loadModelFolder(dir: string): Promise<tf.LayersModel> {
  const path = join(resolve(dir), MODEL_JSON);
  if (!(await stat(path).then((s) => s.isFile(), () => false))) throw new FttlError('bad-input', `No model in ${dir}: ${MODEL_JSON} is missing.`);
  try {
    return await tf.loadLayersModel(fileSystemModelHandler(path));
  } catch (err) {
    if (err instanceof FttlError) throw err;
    throw new FttlError('weights', `The model in ${dir} does not load: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a JSON file written beside a saved model. */
export async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (err) {
    throw new FttlError('bad-input', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}
