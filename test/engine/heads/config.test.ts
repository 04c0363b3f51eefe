import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headPreset, validateHeadConfig } from '../../../src/engine/heads/index.js';

test('presets reproduce the seed project', () => {
  const lr = headPreset('lr');
  assert.deepEqual([lr.C, lr.maxIter, lr.tol, lr.classWeight], [1, 100, 1e-4, 'none']);
  const m1 = headPreset('mlp1');
  assert.deepEqual([m1.hidden, m1.batchNorm, m1.dropout, m1.batchSize, m1.epochs], [[256], true, 0.5, 32, 50]);
  assert.deepEqual([m1.optimizer, m1.learningRate, m1.earlyStopping], ['adadelta', 1.0, null]);
  const m2 = headPreset('mlp2');
  assert.deepEqual([m2.hidden, m2.batchNorm, m2.dropout, m2.batchSize], [[256, 128], false, 0.5, 64]);
});

test('overrides apply and are checked', () => {
  assert.equal(headPreset('mlp1', { epochs: 3 }).epochs, 3);
  assert.equal(headPreset('mlp1', { kind: 'lr' }).kind, 'mlp1');
  assert.throws(() => headPreset('mlp1', { dropout: 1 }), { name: 'FttlError', kind: 'bad-input', message: /"dropout" must be a number in \[0, 1\)/ });
});

test('validateHeadConfig fills a partial config from its kind and refuses bad ones clearly', () => {
  assert.deepEqual(validateHeadConfig({ kind: 'mlp2', seed: 3 }), headPreset('mlp2', { seed: 3 }));
  assert.deepEqual(validateHeadConfig(JSON.parse(JSON.stringify(headPreset('lr', { classWeight: [1, 2] })))), headPreset('lr', { classWeight: [1, 2] }));
  const bad: [unknown, RegExp][] = [
    [null, /expected an object/],
    [{}, /"kind" must be one of lr, mlp1, mlp2, got undefined/],
    [{ kind: 'svm' }, /"kind" must be one of .* got "svm"/],
    [{ kind: 'lr', learningrate: 1 }, /unknown field "learningrate"/],
    [{ kind: 'lr', C: 0 }, /"C" must be a number > 0/],
    [{ kind: 'lr', maxIter: 2.5 }, /"maxIter" must be an integer >= 1, got 2.5/],
    [{ kind: 'mlp1', hidden: [] }, /"hidden" must list at least one layer/],
    [{ kind: 'mlp1', hidden: [64, 0] }, /"hidden\[1\]"/],
    [{ kind: 'mlp1', optimizer: 'rmsprop' }, /"optimizer" must be one of adadelta, adam, sgd/],
    [{ kind: 'mlp1', classWeight: 'auto' }, /"classWeight"/],
    [{ kind: 'mlp1', classWeight: [1, -1] }, /"classWeight\[1\]" must be a number >= 0/],
    [{ kind: 'mlp1', earlyStopping: { patience: 0 } }, /"earlyStopping.patience"/],
    [{ kind: 'mlp1', earlyStopping: { patiance: 3 } }, /"earlyStopping" must be null or/],
    [{ kind: 'mlp1', batchNorm: 'yes' }, /"batchNorm" must be true or false/],
    [{ kind: 'mlp1', seed: -1 }, /"seed" must be an integer in \[0, 4294967295\]/],
    [{ kind: 'mlp1', epochs: Number.NaN }, /"epochs"/],
  ];
  for (const [raw, message] of bad) {
    assert.throws(() => validateHeadConfig(raw), { name: 'FttlError', kind: 'bad-input', message }, JSON.stringify(raw));
  }
});
