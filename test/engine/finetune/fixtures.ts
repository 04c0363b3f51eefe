// Small real datasets for the fine-tuning tests: a few RetinaMNIST fundus photos per class,
// linked (never copied) from ../shared into a temporary folder.
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { naturalSort } from '../../../src/engine/data/naturalSort.js';
import { sharedData } from '../../helpers/shared.js';

export const retina = sharedData('retinamnist28');
export const mobilenetV1 = sharedData('mobilenet_v1_0.75_224_imagenet');

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
