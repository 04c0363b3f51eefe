import { basename } from 'node:path';
import { FttlError } from '../util/errors.js';
import { guessFromFileName, guessFromLayers } from '../weights/detectArchitecture.js';
import { applyKerasWeights, readKerasH5 } from '../weights/kerasH5.js';
import { assembleBackbone } from './assemble.js';
import { architectureName, buildArchitecture } from './architectures.js';
import { modelTraits } from './recognise.js';
import type { Backbone } from './types.js';

/**
 * Loads a Keras .h5 weights file into the matching TypeScript-defined architecture. The architecture
 * comes from Keras' canonical file name, else from the file's layer names and shapes. Every layer
 * of the built model must get weights from the file (a mismatch is an FttlError('weights')).
 */
export async function loadKerasBackbone(
  source: string,
  path: string,
  opts: { label?: string; inputSize?: number } = {},
): Promise<Backbone> {
  const contents = await readKerasH5(path);
  const guess = guessFromFileName(basename(path)) ?? guessFromLayers(contents.layers);
  // No-top weights fit any input size: the caller may ask for one the file name does not fix.
  const inputSize = opts.inputSize ?? guess.inputSize ?? 224;
  // Zero-initialised: every kernel is about to be overwritten, so skip generating random ones.
  const model = buildArchitecture({ ...guess, inputSize, init: 'zeros' });
  try {
    applyKerasWeights(model, contents.layers, { source: path });
  } catch (err) {
    model.dispose();
    if (err instanceof FttlError) throw err;
    throw new FttlError('weights', `${path}: ${(err as Error).message}`, { cause: err });
  }
  const traits = modelTraits(model, guess);
  const what = opts.label ?? `Keras weights ${basename(path)}`;
  return assembleBackbone({ model, traits, name: `${architectureName(guess.architecture, guess.alpha)} (${what})`, source });
}
