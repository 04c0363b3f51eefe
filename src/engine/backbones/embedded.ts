import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FttlError } from '../util/errors.js';
import { assembleBackbone } from './assemble.js';
import { modelTraits } from './recognise.js';
import type { Backbone } from './types.js';

/** nsfwjs' classes, in the order of its model's 5 outputs (nsfwjs/dist/esm/nsfw_classes.js). */
export const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** nsfwjs ships its models as UMD/CommonJS modules: model.min.js exports the model.json object. */
interface EmbeddedModelJson {
  modelTopology: tf.io.ModelArtifacts['modelTopology'];
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * The default backbone, needing no network: the MobileNetV2 (α1.0, 224) that nsfwjs bundles, which
 * was fine-tuned from ImageNet (Keras MobileNetV2) to 5 NSFW classes. Its out_relu block, averaged,
 * gives 1280-d general image features. The weights are 8-bit quantized in the manifest (about 2.6 MB);
 * tfjs dequantizes them on load. It was trained on x/255 inputs (nsfwjs divides by 255), hence 'unit'.
 */
export async function loadEmbeddedBackbone(source: string): Promise<Backbone> {
  const { modelJson, weights } = readEmbeddedFiles();
  const handler: tf.io.IOHandler = {
    load: async () => ({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weights,
    }),
  };
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(handler);
  } catch (err) {
    throw new FttlError('weights', `The embedded nsfwjs MobileNetV2 did not load: ${(err as Error).message}`, { cause: err });
  }
  const traits = modelTraits(model, { architecture: 'mobilenet_v2', alpha: 1.0 }, 'unit');
  return assembleBackbone({
    model,
    traits,
    name: 'MobileNetV2 α1.0 (nsfwjs fine-tune of ImageNet, embedded)',
    source,
    classNames: NSFW_CLASSES,
  });
}

function readEmbeddedFiles(): { modelJson: EmbeddedModelJson; weights: ArrayBuffer } {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    // nsfwjs' "exports" hides its model files, so locate them from its main entry (dist/cjs/index.js).
    dir = join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
  } catch (err) {
    throw new FttlError('weights', 'The embedded backbone needs the nsfwjs package, which is not installed.', { cause: err });
  }
  try {
    const modelJson = require(join(dir, 'model.min.js')) as EmbeddedModelJson;
    // The shard module exports the binary weights as one base64 string.
    const base64 = require(join(dir, 'group1-shard1of1.min.js')) as unknown;
    if (typeof base64 !== 'string' || !modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
      throw new Error('unexpected module contents (nsfwjs version changed?)');
    }
    const bytes = Buffer.from(base64, 'base64');
    return { modelJson, weights: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
  } catch (err) {
    throw new FttlError('weights', `Cannot read the embedded nsfwjs MobileNetV2 in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
