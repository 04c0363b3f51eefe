import * as tf from '@tensorflow/tfjs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FttlError } from '../util/errors.js';
import { assembleBackbone } from './assemble.js';
import { architectureName } from './architectures.js';
import { fileSystemModelHandler, readModelJson } from './fsModelIO.js';
import { modelTraits, recogniseArchitecture } from './recognise.js';
import type { Architecture, Backbone } from './types.js';

/**
 * Loads a TF.js Layers model — a folder holding model.json, a model.json path, or an http(s) URL of
 * either — as a backbone. A Sequential whose first layer is itself a model (Teachable Machine exports:
 * [[MobileNet trunk, pool], head]) is unwrapped to that innermost model, dropping the head. Known
 * architectures are recognised by layer name; class names come from a metadata.json beside it
 * (ml5 / Teachable Machine: `{"labels": [...]}`) when they label the backbone's outputs.
 */
export async function loadTfjsBackbone(source: string, location: string): Promise<Backbone> {
  const isUrl = /^https?:\/\//i.test(location);
  const modelJsonRef = isUrl ? modelJsonUrl(location) : await modelJsonPath(location);

  const loaded = isUrl ? await loadFromUrl(modelJsonRef) : await loadFromDisk(modelJsonRef);
  const model = unwrapNested(loaded);
  const arch = recogniseArchitecture(model);
  const traits = modelTraits(model, arch);
  const labels = isUrl ? await labelsFromUrl(modelJsonRef) : await labelsFromDisk(join(dirname(modelJsonRef), 'metadata.json'));
  const where = isUrl ? modelJsonRef : basename(dirname(modelJsonRef));
  return assembleBackbone({ model, traits, name: `${describeArch(traits)} (TF.js, ${where})`, source, classNames: labels });
}

function describeArch(t: { architecture: Architecture; alpha?: number }): string {
  return t.architecture === 'custom' ? 'Custom model' : architectureName(t.architecture, t.alpha);
}

function modelJsonUrl(url: string): string {
  return url.endsWith('.json') ? url : `${url.replace(/\/+$/, '')}/model.json`;
}

async function modelJsonPath(path: string): Promise<string> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new FttlError('bad-input', `Backbone not found: ${path} does not exist.`);
  if (s.isFile()) return path;
  const inside = join(path, 'model.json');
  if (!(await stat(inside).catch(() => undefined))?.isFile()) {
    throw new FttlError('bad-input', `${path} holds no model.json: a TF.js Layers model folder was expected.`);
  }
  return inside;
}

async function loadFromDisk(path: string): Promise<tf.LayersModel> {
  await readModelJson(path); // clear errors for a missing / unparsable / non-Layers model.json first
  try {
    return await tf.loadLayersModel(fileSystemModelHandler(path));
  } catch (err) {
    if (err instanceof FttlError) throw err;
    throw new FttlError('weights', `TF.js could not load ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function loadFromUrl(url: string): Promise<tf.LayersModel> {
  try {
    return await tf.loadLayersModel(url);
  } catch (err) {
    const msg = (err as Error).message;
    const kind = /fetch|network|ECONN|ENOTFOUND|status code|HTTP/i.test(msg) ? 'network' : 'weights';
    throw new FttlError(kind, `Could not load the TF.js model at ${url}: ${msg}`, { cause: err });
  }
}

/** Teachable Machine: Sequential[Sequential[Model(trunk), GlobalAveragePooling2D], Sequential[head]]. */
function unwrapNested(model: tf.LayersModel): tf.LayersModel {
  let m = model;
  while (m instanceof tf.Sequential && m.layers[0] instanceof tf.LayersModel) m = m.layers[0];
  return m;
}

function parseLabels(json: unknown): string[] | undefined {
  const labels = (json as { labels?: unknown } | null)?.labels;
  return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? labels : undefined;
}

/** metadata.json is optional: absent or unreadable means "no class names", never an error. */
async function labelsFromDisk(path: string): Promise<string[] | undefined> {
  try {
    return parseLabels(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return undefined;
  }
}

async function labelsFromUrl(modelJson: string): Promise<string[] | undefined> {
  try {
    const res = await fetch(new URL('metadata.json', modelJson));
    return res.ok ? parseLabels(await res.json()) : undefined;
  } catch {
    return undefined;
  }
}
