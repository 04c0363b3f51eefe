// Tells which Keras Applications architecture a weights file is for: from its canonical file name, or
// from its layer names and weight shapes when the file was renamed.
import { FttlError } from '../util/errors.js';
import type { KerasLayerWeights } from './kerasH5.js';

export type KerasArchitecture = 'vgg16' | 'mobilenet_v1' | 'mobilenet_v2';

export interface ArchitectureGuess {
  architecture: KerasArchitecture;
  /** Width multiplier (MobileNets only). */
  alpha?: number;
  /** Input side in pixels, where the file name or the weights fix it (e.g. VGG-16 with its top: 224). */
  inputSize?: number;
  includeTop: boolean;
  how: 'filename' | 'layers';
}

/** Keras's alpha strings in MobileNet v1 file names. */
const V1_ALPHA: Record<string, number> = { '1_0': 1.0, '7_5': 0.75, '5_0': 0.5, '2_5': 0.25 };
/** The alphas Keras publishes MobileNetV2 ImageNet weights for. */
export const MOBILENET_V2_ALPHAS = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4] as const;
export const MOBILENET_V1_ALPHAS = [0.25, 0.5, 0.75, 1.0] as const;

/**
 * Recognises Keras's canonical file names (a folder part and a browser's " (1)" suffix are ignored):
 * vgg16_weights_tf_dim_ordering_tf_kernels[_notop].h5, mobilenet_{1_0|7_5|5_0|2_5}_{rows}_tf[_no_top].h5,
 * mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_{rows}[_no_top].h5. Null for anything else.
 */
export function guessFromFileName(fileName: string): ArchitectureGuess | null {
  const base = (fileName.split(/[\\/]/).at(-1) ?? fileName)
    .toLowerCase()
    .replace(/\s*\(\d+\)(?=\.[^.]+$)/, '');
  let m = /^vgg16_weights_tf_dim_ordering_tf_kernels(_notop)?\.h5$/.exec(base);
  if (m) {
    return m[1] ? { architecture: 'vgg16', includeTop: false, how: 'filename' }
      : { architecture: 'vgg16', inputSize: 224, includeTop: true, how: 'filename' };
  }
  m = /^mobilenet_(1_0|7_5|5_0|2_5)_(\d+)_tf(_no_top)?\.h5$/.exec(base);
  if (m) {
    return { architecture: 'mobilenet_v1', alpha: V1_ALPHA[m[1]!]!, inputSize: Number(m[2]), includeTop: !m[3], how: 'filename' };
  }
  m = /^mobilenet_v2_weights_tf_dim_ordering_tf_kernels_(\d+(?:\.\d+)?)_(\d+)(_no_top)?\.h5$/.exec(base);
  if (m) {
    return { architecture: 'mobilenet_v2', alpha: Number(m[1]), inputSize: Number(m[2]), includeTop: !m[3], how: 'filename' };
  }
  return null;
}

/** Keras's _make_divisible (MobileNetV2's channel rounding). */
export function makeDivisible(v: number, divisor = 8): number {
  let newV = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

/** Output channels of a layer's first weight (a kernel's last dimension), or undefined. */
function filtersOf(byName: Map<string, KerasLayerWeights>, layer: string): number | undefined {
  const w = byName.get(layer)?.weights[0];
  return w && w.shape.length > 0 ? w.shape[w.shape.length - 1] : undefined;
}

/**
 * Recognises VGG-16 (block1_conv1 … block5_conv3), MobileNet v1 (conv1 + conv_dw_1 …, alpha = conv1
 * filters / 32) and MobileNetV2 (Conv1 + expanded_conv_project …, alpha from Conv1's and block_16_project's
 * filters) from the layers of a Keras file; includeTop from its classifier layers.
 */
export function guessFromLayers(layers: KerasLayerWeights[]): ArchitectureGuess {
  const byName = new Map(layers.map((l) => [l.layer, l]));
  const has = (name: string) => byName.has(name);
  const withWeights = layers.filter((l) => l.weights.length > 0).map((l) => l.layer);

  if (has('Conv1') && has('expanded_conv_project')) {
    const conv1 = filtersOf(byName, 'Conv1');
    const block16 = filtersOf(byName, 'block_16_project');
    let candidates: number[] = MOBILENET_V2_ALPHAS.filter(
      (a) => (conv1 === undefined || makeDivisible(32 * a) === conv1) && (block16 === undefined || makeDivisible(320 * a) === block16),
    );
    if (candidates.length !== 1 && block16 !== undefined) {
      // A non-canonical alpha: block_16_project has 320·alpha channels (rounded to 8).
      const alpha = Math.round((block16 / 320) * 100) / 100;
      if (conv1 === undefined || makeDivisible(32 * alpha) === conv1) candidates = [alpha];
    }
    if (candidates.length !== 1) {
      throw new FttlError(
        'weights',
        `The weights look like MobileNetV2 but its width (alpha) cannot be told: Conv1 has ${conv1 ?? '?'} filters and ` +
          `block_16_project ${block16 ?? '?'} (alpha ${MOBILENET_V2_ALPHAS.join('/')} give ` +
          `${MOBILENET_V2_ALPHAS.map((a) => `${makeDivisible(32 * a)}/${makeDivisible(320 * a)}`).join(', ')}).`,
      );
    }
    return {
      architecture: 'mobilenet_v2',
      alpha: candidates[0]!,
      includeTop: has('predictions') || has('Logits'),
      how: 'layers',
    };
  }

  if (has('conv1') && has('conv_dw_1')) {
    const conv1 = filtersOf(byName, 'conv1');
    if (conv1 === undefined) {
      throw new FttlError('weights', 'The weights look like MobileNet v1 but layer "conv1" has no kernel, so its alpha cannot be told.');
    }
    return { architecture: 'mobilenet_v1', alpha: conv1 / 32, includeTop: has('conv_preds'), how: 'layers' };
  }

  if (has('block1_conv1')) {
    if (has('block3_conv4') || has('block5_conv4')) {
      throw new FttlError('weights', 'The weights are for VGG-19 (they have block3_conv4/block5_conv4); FTTL supports VGG-16.');
    }
    const vggLayers = [1, 2, 3, 4, 5].flatMap((b) => (b <= 2 ? [1, 2] : [1, 2, 3]).map((c) => `block${b}_conv${c}`));
    const absent = vggLayers.filter((n) => !has(n));
    if (absent.length === 0) {
      const includeTop = has('fc1') || has('fc2') || has('predictions');
      const guess: ArchitectureGuess = { architecture: 'vgg16', includeTop, how: 'layers' };
      // fc1's kernel is [7·7·512, 4096] for 224 px: the flattened feature map fixes the input side.
      const fc1In = byName.get('fc1')?.weights[0]?.shape[0];
      if (includeTop && fc1In !== undefined) {
        const side = Math.sqrt(fc1In / 512);
        if (Number.isInteger(side)) guess.inputSize = side * 32;
      }
      return guess;
    }
    throw new FttlError(
      'weights',
      `The weights look like VGG but lack ${absent.join(', ')}, so they are not VGG-16's (block1_conv1 … block5_conv3).`,
    );
  }

  const shown = withWeights.slice(0, 15).join(', ');
  throw new FttlError(
    'weights',
    `Cannot tell the architecture from the weights: expected VGG-16 (block1_conv1 … block5_conv3), ` +
      `MobileNet v1 (conv1, conv_dw_1, …) or MobileNetV2 (Conv1, expanded_conv_project, …), but the file's ` +
      `${withWeights.length} layers with weights are: ${shown || 'none'}${withWeights.length > 15 ? ', …' : ''}.`,
  );
}
