import type * as tf from '@tensorflow/tfjs';
import { formatAlpha } from './assemble.js';
import type { InitOptions } from './layerInit.js';
import { buildMobileNetV1 } from './mobilenetV1.js';
import { buildMobileNetV2 } from './mobilenetV2.js';
import { buildVgg16 } from './vgg16.js';

export type KnownArchitecture = 'vgg16' | 'mobilenet_v1' | 'mobilenet_v2';

export interface ArchitectureSpec extends InitOptions {
  architecture: KnownArchitecture;
  alpha?: number;
  includeTop: boolean;
  inputSize?: number;
}

/** Builds one of the TypeScript-defined Keras architectures (MobileNets default to α1.0). */
export function buildArchitecture(spec: ArchitectureSpec): tf.LayersModel {
  const common = { includeTop: spec.includeTop, inputSize: spec.inputSize ?? 224, init: spec.init, seed: spec.seed };
  switch (spec.architecture) {
    case 'vgg16':
      return buildVgg16(common);
    case 'mobilenet_v1':
      return buildMobileNetV1({ ...common, alpha: spec.alpha ?? 1.0 });
    case 'mobilenet_v2':
      return buildMobileNetV2({ ...common, alpha: spec.alpha ?? 1.0 });
  }
}

/** "VGG-16", "MobileNet v1 α0.75", "MobileNetV2 α1.0". */
export function architectureName(architecture: KnownArchitecture, alpha?: number): string {
  const a = ` α${formatAlpha(alpha ?? 1.0)}`;
  return architecture === 'vgg16' ? 'VGG-16' : architecture === 'mobilenet_v1' ? `MobileNet v1${a}` : `MobileNetV2${a}`;
}
