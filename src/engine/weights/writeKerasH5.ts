// Writes a tf.layers model's weights as a Keras 2 HDF5 weights file (the layout readKerasH5 reads and
// tf.keras's load_weights accepts): for tests, and for handing weights back to Keras users.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { FttlError } from '../util/errors.js';
import { hdf5Reason, withH5 } from './hdf5.js';
import { flattenLayers, shortWeightName } from './kerasH5.js';
import type * as H5 from 'h5wasm/node';

export interface WriteKerasH5Options {
  /** 'weights' (default): Keras's save_weights layout at the root; 'model': under /model_weights as model.save() does. */
  layout?: 'weights' | 'model';
  /** keras_version attribute (default "2.15.0", the last Keras 2 release, whose layout this mirrors). */
  kerasVersion?: string;
}

/**
 * Writes every layer of `model` (nested models flattened) as /<layer> groups with a `weight_names`
 * attribute and /<layer>/<layer>/<weight>:0 float32 datasets. Written to a temporary sibling and
 * renamed, so a reader never sees half a file.
 */
export async function writeKerasH5(path: string, model: tf.LayersModel, opts: WriteKerasH5Options = {}): Promise<void> {
  const layers = await Promise.all(
    flattenLayers(model).map(async (layer) => ({
      name: layer.name,
      weights: await Promise.all(
        layer.weights.map(async (w) => ({
          name: `${layer.name}/${shortWeightName(w.originalName)}:0`,
          shape: [...w.shape] as number[],
          data: (await w.read().data()) as Float32Array,
        })),
      ),
    })),
  );
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await withH5((lib) => {
      const file = new lib.File(tmp, 'w');
      try {
        const root: H5.Group = opts.layout === 'model' ? file.create_group('model_weights') : file;
        const version = opts.kerasVersion ?? '2.15.0';
        for (const obj of opts.layout === 'model' ? [file, root] : [file]) {
          obj.create_attribute('keras_version', version);
          obj.create_attribute('backend', 'tensorflow');
        }
        root.create_attribute('layer_names', layers.map((l) => l.name));
        for (const layer of layers) {
          const group = root.create_group(layer.name);
          if (layer.weights.length === 0) {
            group.create_attribute('weight_names', new Float64Array(0)); // what Keras writes for "none"
            continue;
          }
          group.create_attribute('weight_names', layer.weights.map((w) => w.name));
          for (const w of layer.weights) {
            const parts = w.name.split('/');
            let parent = group;
            for (const part of parts.slice(0, -1)) {
              let existing: H5.Entity | null = null;
              try {
                existing = parent.get(part);
              } catch {
                // absent: h5wasm's lookup throws under the throwing error handler
              }
              parent = existing instanceof lib.Group ? existing : parent.create_group(part);
            }
            parent.create_dataset({ name: parts.at(-1)!, data: w.data, shape: w.shape, dtype: '<f' });
          }
        }
      } finally {
        file.close();
      }
    });
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new FttlError('weights', `Cannot write weights file ${path}: ${hdf5Reason(err)}`, { cause: err });
  }
}
