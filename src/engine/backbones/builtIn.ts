import { FttlError } from '../util/errors.js';
import type { ProgressCallback } from '../util/progress.js';
import { ensureWeightsFile, kerasWeightsFor } from '../weights/download.js';
import { assembleBackbone, formatAlpha } from './assemble.js';
import { architectureName, buildArchitecture, type KnownArchitecture } from './architectures.js';
import { loadKerasBackbone } from './kerasSource.js';
import { MOBILENET_V1_ALPHAS } from './mobilenetV1.js';
import { MOBILENET_V2_ALPHAS } from './mobilenetV2.js';
import { modelTraits } from './recognise.js';
import type { Backbone } from './types.js';

/** A parsed built-in name: `vgg16[_<size>]`, `mobilenet_v1[_<alpha>[_<size>]]`, `mobilenet_v2[…]`, plus `:random` / `:top`. */
export interface BuiltInSpec {
  architecture: KnownArchitecture;
  alpha?: number;
  inputSize: number;
  /** Seeded random weights instead of Keras' ImageNet weights. */
  random: boolean;
  /** Keep the 1000-class ImageNet top (a much bigger download for VGG-16: 528 MB instead of 56 MB). */
  includeTop: boolean;
}

const NAME = /^(vgg16|mobilenet_v1|mobilenet_v2)(?:_(\d+(?:\.\d+)?))?(?:_(\d+))?((?::(?:random|top))*)$/i;

/** Parses a built-in backbone name; null when `source` is not one (then it is a path or URL). */
export function parseBuiltInName(source: string): BuiltInSpec | null {
  const m = NAME.exec(source.trim());
  if (!m) return null;
  const architecture = m[1]!.toLowerCase() as KnownArchitecture;
  const modifiers = m[4]!.toLowerCase().split(':').filter(Boolean);
  let alphaText: string | undefined = m[2];
  let sizeText: string | undefined = m[3];
  if (architecture === 'vgg16') {
    if (sizeText !== undefined || (alphaText !== undefined && alphaText.includes('.'))) {
      throw new FttlError('bad-input', `"${source}": VGG-16 has no width multiplier; write vgg16 or vgg16_<input size>.`);
    }
    sizeText = alphaText;
    alphaText = undefined;
  }
  const spec: BuiltInSpec = {
    architecture,
    inputSize: sizeText !== undefined ? Number(sizeText) : 224,
    random: modifiers.includes('random'),
    includeTop: modifiers.includes('top'),
  };
  if (architecture !== 'vgg16') {
    const alphas: readonly number[] = architecture === 'mobilenet_v1' ? MOBILENET_V1_ALPHAS : MOBILENET_V2_ALPHAS;
    const alpha = alphaText !== undefined ? Number(alphaText) : 1.0;
    if (!alphas.includes(alpha)) {
      throw new FttlError('bad-input', `"${source}": ${architecture} comes in alpha ${alphas.map(formatAlpha).join(', ')}, not ${alphaText}.`);
    }
    spec.alpha = alpha;
  }
  if (spec.inputSize < 32) throw new FttlError('bad-input', `"${source}": the input size must be at least 32 pixels.`);
  // Keras weights without the top fit any input size (the conv trunk is size-independent); whether
  // weights with the top exist for a size is kerasWeightsFor's call.
  return spec;
}

/** Canonical name of a spec, e.g. `mobilenet_v1_0.75` (size only when not 224). */
export function builtInName(spec: Pick<BuiltInSpec, 'architecture' | 'alpha' | 'inputSize'>): string {
  const alpha = spec.alpha !== undefined ? `_${formatAlpha(spec.alpha)}` : '';
  const size = spec.inputSize !== 224 ? `_${spec.inputSize}` : '';
  return `${spec.architecture}${alpha}${size}`;
}

/**
 * Builds a built-in backbone: seeded random weights (`:random`), or Keras' ImageNet weights,
 * downloaded on first use into the weights cache and read from there afterwards.
 */
export async function loadBuiltInBackbone(
  source: string,
  spec: BuiltInSpec,
  opts: { cacheDir?: string; onProgress?: ProgressCallback; signal?: AbortSignal; seed?: number },
): Promise<Backbone> {
  const title = architectureName(spec.architecture, spec.alpha);
  if (spec.random) {
    const seed = opts.seed ?? 1;
    const model = buildArchitecture({ ...spec, init: 'random', seed });
    const traits = modelTraits(model, spec);
    return assembleBackbone({ model, traits, name: `${title} (random weights, seed ${seed})`, source });
  }
  const weights = kerasWeightsFor(spec.architecture, spec.alpha, spec.includeTop, spec.inputSize);
  const path = await ensureWeightsFile(weights, {
    ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return loadKerasBackbone(source, path, { label: 'ImageNet, Keras', inputSize: spec.inputSize });
}
