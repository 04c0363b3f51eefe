// Small real datasets for the fine-tuning tests: a few RetinaMNIST fundus photos per class,
// linked (never copied) from ../shared into a temporary folder.
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { naturalSort } from '../../../src/engine/data/naturalSort.js';
import { sharedData } from '../../helpers/shared.js';

export const retina = sharedData('retinamnist28');
export const mobilenetV1 = sharedData('mobilenet_v1_0.75_224_imagenet');
/** Keras' MobileNet v1 α0.25 ImageNet weights: real activations, BatchNorm in the last block, cheap at 224 px. */
export const mobilenet025 = sharedData('keras_mobilenet_0.25_224_notop/mobilenet_2_5_224_tf_no_top.h5');

/** What the small pipeline runs of the tests share: MobileNet α0.25, seed 1, runs and caches under `dir`. */
export function smallRunOptions(dir: string, train: string, test: string) {
  return {
    train,
    test,
    backbone: mobilenet025.path,
    resizeMode: 'stretch' as const,
    seed: 1,
    testFraction: 0.3,
    valFraction: 0.2,
    runsDir: join(dir, 'runs'),
    featureCacheDir: join(dir, 'cache'),
    batchSize: 16,
  };
}

/**
 * `<dir>/<split>/<class>/…`: the first `perClass[c]` images (natural order, after `offset`) of each
 * class of RetinaMNIST's `split` folder, as symlinks. Returns the folder.
 */
export async function retinaSubset(dir: string, split: 'train' | 'val', perClass: number[], offset = 0): Promise<string> {
  const root = join(retina.path, split);
  const classes = naturalSort(await readdir(root));
  const out = join(dir, split);
  for (const [c, name] of classes.entries()) {
    await mkdir(join(out, name), { recursive: true });
    const files = naturalSort(await readdir(join(root, name))).slice(offset, offset + (perClass[c] ?? 0));
    for (const f of files) await symlink(join(root, name, f), join(out, name, f));
  }
  return out;
}
