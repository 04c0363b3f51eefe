// Backbones the benchmark times by default (shared by bench/run.ts and bench/finetune.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The real MobileNet v1 α0.75 ImageNet weights in ../shared, when present. */
export const SHARED_MOBILENET_V1 = join(import.meta.dirname, '..', '..', 'shared', 'data', 'mobilenet_v1_0.75_224_imagenet');

/** Fine-tuning: VGG-16 block 5, MobileNet v1 α0.75 (real weights when present), MobileNetV2 1.0. */
export function finetuneBackbones(): string[] {
  return ['vgg16:random', existsSync(SHARED_MOBILENET_V1) ? SHARED_MOBILENET_V1 : 'mobilenet_v1_0.75:random', 'mobilenet_v2_1.0:random'];
}
