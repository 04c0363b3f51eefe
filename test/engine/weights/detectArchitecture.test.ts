import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FttlError } from '../../../src/engine/util/errors.js';
import type { KerasLayerWeights } from '../../../src/engine/weights/kerasH5.js';
import { guessFromFileName, guessFromLayers, makeDivisible } from '../../../src/engine/weights/detectArchitecture.js';
import { kerasWeightsFor } from '../../../src/engine/weights/download.js';

/** A layer list with the given kernels' shapes (guessFromLayers reads names and shapes only). */
function layers(spec: Record<string, number[] | null>): KerasLayerWeights[] {
  return Object.entries(spec).map(([layer, shape]) => ({
    layer,
    weights: shape ? [{ name: `${layer}/kernel:0`, shape, data: new Float32Array(0) }] : [],
  }));
}

function vgg16(top: boolean, extra: Record<string, number[] | null> = {}): KerasLayerWeights[] {
  const spec: Record<string, number[] | null> = { input_1: null };
  const blocks: [number, number, number][] = [[1, 2, 64], [2, 2, 128], [3, 3, 256], [4, 3, 512], [5, 3, 512]];
  let cin = 3;
  for (const [b, n, f] of blocks) {
    for (let c = 1; c <= n; c++) {
      spec[`block${b}_conv${c}`] = [3, 3, cin, f];
      cin = f;
    }
    spec[`block${b}_pool`] = null;
  }
  if (top) Object.assign(spec, { flatten: null, fc1: [25088, 4096], fc2: [4096, 4096], predictions: [4096, 1000] });
  return layers({ ...spec, ...extra });
}

function mobilenetV2(alpha: number, top: boolean): KerasLayerWeights[] {
  const spec: Record<string, number[] | null> = {
    input_1: null,
    Conv1: [3, 3, 3, makeDivisible(32 * alpha)],
    bn_Conv1: null,
    expanded_conv_depthwise: [3, 3, makeDivisible(32 * alpha), 1],
    expanded_conv_project: [1, 1, makeDivisible(32 * alpha), makeDivisible(16 * alpha)],
    block_16_project: [1, 1, 960, makeDivisible(320 * alpha)],
    Conv_1: [1, 1, makeDivisible(320 * alpha), alpha > 1 ? makeDivisible(1280 * alpha) : 1280],
  };
  if (top) spec['predictions'] = [1280, 1000];
  return layers(spec);
}

test('Keras file names', () => {
  assert.deepEqual(guessFromFileName('vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5'), { architecture: 'vgg16', includeTop: false, how: 'filename' });
  assert.deepEqual(guessFromFileName('/home/u/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels.h5'), {
    architecture: 'vgg16', inputSize: 224, includeTop: true, how: 'filename',
  });
  assert.deepEqual(guessFromFileName('C:\\Users\\u\\Downloads\\mobilenet_7_5_160_tf (1).h5'), {
    architecture: 'mobilenet_v1', alpha: 0.75, inputSize: 160, includeTop: true, how: 'filename',
  });
  assert.deepEqual(guessFromFileName('mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5'), {
    architecture: 'mobilenet_v2', alpha: 0.35, inputSize: 96, includeTop: false, how: 'filename',
  });
  assert.equal(guessFromFileName('my_weights.h5'), null);
  assert.equal(guessFromFileName('mobilenet_3_3_224_tf.h5'), null);
});

test('every canonical Keras file name round-trips through guessFromFileName', () => {
  for (const includeTop of [true, false]) {
    assert.deepEqual(guessFromFileName(kerasWeightsFor('vgg16', undefined, includeTop).fileName)?.architecture, 'vgg16');
    for (const alpha of [0.25, 0.5, 0.75, 1.0]) {
      for (const rows of [128, 160, 192, 224]) {
        assert.deepEqual(guessFromFileName(kerasWeightsFor('mobilenet_v1', alpha, includeTop, rows).fileName), {
          architecture: 'mobilenet_v1', alpha, inputSize: rows, includeTop, how: 'filename',
        });
      }
    }
    for (const alpha of [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]) {
      for (const rows of [96, 128, 160, 192, 224]) {
        assert.deepEqual(guessFromFileName(kerasWeightsFor('mobilenet_v2', alpha, includeTop, rows).fileName), {
          architecture: 'mobilenet_v2', alpha, inputSize: rows, includeTop, how: 'filename',
        });
      }
    }
  }
});

test('VGG-16 from its layers, with and without top', () => {
  assert.deepEqual(guessFromLayers(vgg16(false)), { architecture: 'vgg16', includeTop: false, how: 'layers' });
  assert.deepEqual(guessFromLayers(vgg16(true)), { architecture: 'vgg16', includeTop: true, inputSize: 224, how: 'layers' });
  assert.throws(() => guessFromLayers(vgg16(false, { block3_conv4: [3, 3, 256, 256] })), (e) => e instanceof FttlError && /VGG-19/.test(e.message));
});

test('MobileNet v1 alpha from conv1 filters; top from conv_preds', () => {
  for (const alpha of [0.25, 0.5, 0.75, 1.0]) {
    const f = 32 * alpha;
    const spec = { input_1: null, conv1: [3, 3, 3, f], conv1_bn: null, conv_dw_1: [3, 3, f, 1], conv_pw_1: [1, 1, f, 2 * f] };
    assert.deepEqual(guessFromLayers(layers(spec)), { architecture: 'mobilenet_v1', alpha, includeTop: false, how: 'layers' });
    assert.equal(guessFromLayers(layers({ ...spec, conv_preds: [1, 1, 1024 * alpha, 1000] })).includeTop, true);
  }
});

test('MobileNetV2 alpha from Conv1 and block_16_project (0.35 and 0.5 share Conv1 = 16)', () => {
  assert.deepEqual([0.35, 0.5, 0.75, 1.0, 1.3, 1.4].map((a) => makeDivisible(32 * a)), [16, 16, 24, 32, 40, 48]);
  for (const alpha of [0.35, 0.5, 0.75, 1.0, 1.3, 1.4]) {
    assert.deepEqual(guessFromLayers(mobilenetV2(alpha, false)), { architecture: 'mobilenet_v2', alpha, includeTop: false, how: 'layers' });
    assert.equal(guessFromLayers(mobilenetV2(alpha, true)).includeTop, true);
  }
  const withoutBlock16 = mobilenetV2(0.35, false).filter((l) => l.layer !== 'block_16_project');
  assert.throws(() => guessFromLayers(withoutBlock16), (e) => e instanceof FttlError && e.kind === 'weights' && /alpha/.test(e.message));
});

test('unknown layers: FttlError("weights") listing what was found', () => {
  assert.throws(
    () => guessFromLayers(layers({ input_1: null, dense_1: [10, 4], dense_2: [4, 2] })),
    (e) => e instanceof FttlError && e.kind === 'weights' && /Cannot tell the architecture.*2 layers with weights are: dense_1, dense_2/.test(e.message),
  );
});
