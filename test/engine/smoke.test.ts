import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
test('tfjs loads', () => { assert.equal(tf.tensor1d([1, 2]).sum().dataSync()[0], 3); });
