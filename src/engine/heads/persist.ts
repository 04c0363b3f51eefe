import * as tf from '@tensorflow/tfjs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { atomicWriteFolder } from '../util/atomicWrite.js';
import { FttlError } from '../util/errors.js';
import { validateHeadConfig } from './config.js';
import type { EpochRecord, TrainedHead } from './types.js';

// A saved head is a folder: model.json + weights.bin (the TF.js Layers format, loadable by
// tf.loadLayersModel in a browser too) and head.json (what trained it and how it went).
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const HEAD_FILE = 'head.json';
const FORMAT = 'fttl-head';
const VERSION = 1;

/**
 * Writes the head into a hidden sibling folder, then swaps it in by rename, so `dir` holds
 * either the old head or the new one, never half of one. An existing folder that is not a
 * saved head is refused rather than replaced.
 */
export async function saveHead(head: TrainedHead, dir: string): Promise<void> {
  dir = resolve(dir);
  await refuseForeignFolder(dir);
  const artifacts = await captureModelArtifacts(head.model, 'head');
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
  };
  const headJson = {
    format: FORMAT,
    version: VERSION,
    config: head.config,
    numClasses: head.numClasses,
    dim: head.dim,
    history: head.history,
    bestEpoch: head.bestEpoch,
    stoppedEarly: head.stoppedEarly,
    ...(head.trainer ? { trainer: head.trainer } : {}),
  };
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));

  try {
    await atomicWriteFolder(dir, {
      [WEIGHTS_FILE]: weights,
      [MODEL_FILE]: JSON.stringify(modelJson),
      [HEAD_FILE]: JSON.stringify(headJson, null, 2) + '\n',
    });
  } catch (err) {
    throw new FttlError('bad-input', `Could not save the head to ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads a folder written by saveHead, checking every part; a broken folder gives an FttlError naming the problem. */
export async function loadHead(dir: string): Promise<TrainedHead> {
  dir = resolve(dir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new FttlError('bad-input', `No saved head at ${dir}: the folder does not exist.`);

  const meta = parseHeadJson(await readJson(join(dir, HEAD_FILE)), join(dir, HEAD_FILE));
  const modelJson = await readJson(join(dir, MODEL_FILE));
  const weights = await readFile(join(dir, WEIGHTS_FILE)).catch((err: Error) => corrupt(dir, `cannot read ${WEIGHTS_FILE} (${err.message})`));
  if (!isRecord(modelJson) || !isRecord(modelJson.modelTopology) || !Array.isArray(modelJson.weightsManifest)) {
    corrupt(dir, `${MODEL_FILE} is not a TF.js Layers model`);
  }
  const specs = (modelJson.weightsManifest as tf.io.WeightsManifestConfig).flatMap((g) => g.weights ?? []);
  const expected = specs.reduce((sum, s) => sum + (s.shape ?? []).reduce((a, b) => a * b, 1) * 4, 0);
  if (weights.byteLength !== expected) {
    corrupt(dir, `${WEIGHTS_FILE} holds ${weights.byteLength} bytes but ${MODEL_FILE} describes ${expected}`);
  }
  let model: tf.LayersModel;
  try {
    const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
    const artifacts = tf.io.getModelArtifactsForJSONSync(modelJson as unknown as tf.io.ModelJSON, specs, buf);
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    corrupt(dir, `the model does not load (${(err as Error).message})`);
  }
  const inDim = model.inputs[0]?.shape[1];
  const outDim = model.outputs[0]?.shape[1];
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || inDim !== meta.dim || outDim !== meta.numClasses) {
    model.dispose();
    corrupt(dir, `the model maps ${inDim}-d to ${outDim} classes but ${HEAD_FILE} says ${meta.dim}-d to ${meta.numClasses}`);
  }
  return { ...meta, model };
}

/** What tfjs's `model.save` produces (topology, weight specs and data), captured in memory; `what` names the model in the error. */
export async function captureModelArtifacts(model: tf.LayersModel, what: string): Promise<tf.io.ModelArtifacts & { weightData: tf.io.WeightData; weightSpecs: tf.io.WeightsManifestEntry[] }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.weightData || !captured.weightSpecs) throw new FttlError('internal', `tfjs saved the ${what} without weights.`);
  return captured as tf.io.ModelArtifacts & { weightData: tf.io.WeightData; weightSpecs: tf.io.WeightsManifestEntry[] };
}

function parseHeadJson(raw: unknown, path: string): Omit<TrainedHead, 'model'> {
  const fail = (why: string): never => {
    throw new FttlError('weights', `${path} is not a valid saved head: ${why}.`);
  };
  if (!isRecord(raw)) return fail('expected a JSON object');
  if (raw.format !== FORMAT) fail(`"format" must be "${FORMAT}"`);
  if (raw.version !== VERSION) fail(`unsupported version ${JSON.stringify(raw.version)} (this build reads ${VERSION})`);
  let config;
  try {
    config = validateHeadConfig(raw.config);
  } catch (err) {
    return fail((err as Error).message);
  }
  const posInt = (v: unknown, min: number) => typeof v === 'number' && Number.isInteger(v) && v >= min;
  if (!posInt(raw.numClasses, 2)) fail('"numClasses" must be an integer >= 2');
  if (!posInt(raw.dim, 1)) fail('"dim" must be a positive integer');
  if (!Array.isArray(raw.history) || !raw.history.every(isEpochRecord)) fail('"history" must be a list of epoch records');
  if (!(raw.bestEpoch === null || posInt(raw.bestEpoch, 1))) fail('"bestEpoch" must be null or an epoch number');
  if (typeof raw.stoppedEarly !== 'boolean') fail('"stoppedEarly" must be true or false');
  if (!(raw.trainer === undefined || typeof raw.trainer === 'string')) fail('"trainer" must be a string when present');
  return {
    config,
    numClasses: raw.numClasses as number,
    dim: raw.dim as number,
    history: raw.history as EpochRecord[],
    bestEpoch: raw.bestEpoch as number | null,
    stoppedEarly: raw.stoppedEarly as boolean,
    ...(typeof raw.trainer === 'string' ? { trainer: raw.trainer } : {}),
  };
}

function isEpochRecord(r: unknown): boolean {
  if (!isRecord(r)) return false;
  const numOrAbsent = (v: unknown) => v === undefined || typeof v === 'number';
  return (
    typeof r.epoch === 'number' &&
    typeof r.loss === 'number' &&
    typeof r.accuracy === 'number' &&
    typeof r.seconds === 'number' &&
    numOrAbsent(r.valLoss) &&
    numOrAbsent(r.valAccuracy)
  );
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new FttlError('weights', `The saved head is incomplete: ${path} is missing or unreadable.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FttlError('weights', `The saved head is corrupt: ${path} is not valid JSON.`);
  }
}

async function refuseForeignFolder(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => null);
  if (!info) return;
  const entries = info.isDirectory() ? await readdir(dir) : null;
  if (entries === null || (entries.length > 0 && !entries.includes(HEAD_FILE))) {
    throw new FttlError('bad-input', `Will not save a head over ${dir}: it exists and is not a saved head.`);
  }
}

function corrupt(dir: string, why: string): never {
  throw new FttlError('weights', `The saved head in ${dir} is corrupt: ${why}.`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
