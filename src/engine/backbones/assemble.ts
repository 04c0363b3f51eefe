import type * as tf from '@tensorflow/tfjs';
import type { ModelTraits } from './recognise.js';
import type { Backbone } from './types.js';
import { weightsFingerprint } from './weightsId.js';

/** "1.0", "0.75", "0.35": alphas as Keras file names and our built-in names spell them. */
export function formatAlpha(alpha: number): string {
  return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

/** The architecture part of an id, e.g. `mobilenet_v1_0.75_224`, `vgg16_224`, `custom_224`. */
export function architectureSlug(traits: Pick<ModelTraits, 'architecture' | 'alpha' | 'inputSize'>): string {
  const alpha = traits.alpha !== undefined ? `_${formatAlpha(traits.alpha)}` : '';
  return `${traits.architecture}${alpha}_${traits.inputSize}`;
}

/** Builds the Backbone record: the id fingerprints the weights, so it is computed from the model itself. */
export function assembleBackbone(args: {
  model: tf.LayersModel;
  traits: ModelTraits;
  name: string;
  source: string;
  classNames?: string[] | undefined;
}): Backbone {
  const { model, traits } = args;
  const backbone: Backbone = {
    id: `${architectureSlug(traits)}@${weightsFingerprint(model)}`,
    name: args.name,
    architecture: traits.architecture,
    inputSize: traits.inputSize,
    preprocess: traits.preprocess,
    model,
    featureLayers: traits.featureLayers,
    defaultFeature: traits.defaultFeature,
    source: args.source,
  };
  if (traits.alpha !== undefined) backbone.alpha = traits.alpha;
  // Class names only when they label this model's outputs (a dropped head's labels would mislead).
  const outUnits = model.outputs[0]?.shape.at(-1);
  if (args.classNames && args.classNames.length === outUnits) backbone.classNames = args.classNames;
  return backbone;
}
