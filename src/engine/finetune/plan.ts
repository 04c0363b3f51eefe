import type { Backbone, PoolingMode } from '../backbones/backbone.js';
import { FttlError } from '../util/errors.js';
import { ancestors, inboundNames, modelGraph, type ModelGraph } from './graph.js';

/** Where a backbone is split for fine-tuning, and what is trained. */
export interface FinetunePlan {
  graph: ModelGraph;
  /** The layer whose output ends the frozen prefix: computed once per image and cached. */
  cutLayer: string;
  /** Shape of one image's prefix output, without the batch dimension (e.g. [14, 14, 512]). */
  cutShape: number[];
  /** Backbone layers that are trained, in topological order; every other layer stays frozen. */
  trainableLayers: string[];
  /** The backbone layer the head reads (through `pooling`). */
  featureLayer: string;
  pooling: PoolingMode;
}

const MAX_BLOCKS = { vgg16: 5, mobilenet_v1: 13, mobilenet_v2: 17 } as const;

/** First layer of the last `blocks` blocks, per architecture (Keras layer names). */
function firstTrainableLayer(b: Backbone, blocks: number, names: Set<string>): string {
  if (b.architecture === 'custom') {
    throw new FttlError('bad-input', `${b.name} is not a recognised architecture: name the first layer to train (--from-layer).`);
  }
  const max = MAX_BLOCKS[b.architecture];
  if (blocks > max) throw new FttlError('bad-input', `${b.name} has ${max} blocks; cannot unfreeze the last ${blocks}.`);
  switch (b.architecture) {
    case 'vgg16':
      return `block${6 - blocks}_conv1`;
    case 'mobilenet_v1': {
      const k = 14 - blocks;
      // Keras ≥ 2.2 pads strided blocks with an explicit conv_pad_<k>; older exports use 'same' padding.
      return names.has(`conv_pad_${k}`) ? `conv_pad_${k}` : `conv_dw_${k}`;
    }
    case 'mobilenet_v2': {
      const k = 17 - blocks;
      return k === 0 ? 'expanded_conv_depthwise' : `block_${k}_expand`;
    }
  }
}

/**
 * Splits `b` for fine-tuning: everything from `firstLayer` (or the first layer of the last
 * `blocks` blocks) up to the feature layer is trained, everything before it is frozen. The cut
 * must be clean: the trainable layers may read only each other and the one tensor entering the
 * first trainable layer (a skip connection around the cut is refused, naming the layer).
 */
export function planFinetune(
  b: Backbone,
  opts: { blocks: number; fromLayer?: string | null; layer?: string; pooling?: PoolingMode },
): FinetunePlan {
  const graph = modelGraph(b.model);
  const names = new Set(graph.byName.keys());
  const first = opts.fromLayer ?? firstTrainableLayer(b, opts.blocks, names);
  const firstJson = graph.byName.get(first);
  if (!firstJson) throw new FttlError('bad-input', `${b.name} has no layer "${first}".`);
  const firstInputs = inboundNames(firstJson);
  if (firstInputs.length !== 1) {
    throw new FttlError('bad-input', `Cannot start fine-tuning at "${first}": it reads ${firstInputs.length} tensors; pick a layer with one input.`);
  }
  const cutLayer = firstInputs[0]!;

  const featureLayer = opts.layer ?? b.defaultFeature.layer;
  const pooling = opts.pooling ?? (opts.layer === undefined || opts.layer === b.defaultFeature.layer ? b.defaultFeature.pooling : 'none');
  if (!graph.byName.has(featureLayer)) throw new FttlError('bad-input', `${b.name} has no layer "${featureLayer}".`);

  const prefix = ancestors(graph, [cutLayer]);
  const needed = ancestors(graph, [featureLayer]);
  if (!needed.has(first)) {
    throw new FttlError('bad-input', `The feature layer "${featureLayer}" does not depend on "${first}": fine-tuning from there would train nothing the head sees.`);
  }
  const trainableLayers = graph.layers.map((l) => l.name).filter((n) => needed.has(n) && !prefix.has(n));
  const trainable = new Set(trainableLayers);
  for (const n of trainableLayers) {
    for (const input of inboundNames(graph.byName.get(n)!)) {
      if (input !== cutLayer && !trainable.has(input)) {
        throw new FttlError('bad-input', `Cannot cut ${b.name} before "${first}": "${n}" also reads "${input}" from the frozen part (a skip connection). Start at another layer.`);
      }
    }
  }

  const cutOut = b.model.getLayer(cutLayer).outputShape as (number | null)[];
  const cutShape = cutOut.slice(1);
  if (!cutShape.every((d): d is number => typeof d === 'number')) {
    throw new FttlError('bad-input', `The output of "${cutLayer}" has an unknown size (${JSON.stringify(cutOut)}); the backbone needs a fixed input size.`);
  }
  const featureRank = (b.model.getLayer(featureLayer).outputShape as (number | null)[]).length;
  if (featureRank > 2 && pooling === 'none') {
    throw new FttlError('bad-input', `"${featureLayer}" outputs a feature map: fine-tuning needs pooling avg or flatten to feed a head.`);
  }
  return { graph, cutLayer, cutShape, trainableLayers, featureLayer, pooling };
}
