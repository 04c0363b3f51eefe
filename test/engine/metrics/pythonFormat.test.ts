import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonFixed, pythonRight } from '../../../src/engine/metrics/pythonFormat.js';

// Each expected string is Python 3.11's format(x, f'.{digits}f').
test('pythonFixed rounds exact ties to even, like Python', () => {
  const cases: [number, number, string][] = [
    [0.0625, 3, '0.062'], // toFixed gives 0.063
    [0.8125, 3, '0.812'], // toFixed gives 0.813
    [0.1875, 3, '0.188'],
    [0.9375, 3, '0.938'],
    [0.6875, 3, '0.688'],
    [0.125, 2, '0.12'], // toFixed gives 0.13
    [0.625, 2, '0.62'],
    [0.375, 2, '0.38'],
    [2.5, 0, '2'],
    [0.5, 0, '0'],
    [3.5, 0, '4'],
    [-0.0625, 3, '-0.062'],
  ];
  for (const [x, d, s] of cases) assert.equal(pythonFixed(x, d), s, `${x} to ${d} digits`);
});

test('pythonFixed agrees with toFixed away from exact ties', () => {
  const cases: [number, number, string][] = [
    [1.005, 2, '1.00'], // 1.005 is really 1.00499999999999989…
    [0.7245, 3, '0.725'], // really 0.72450000000000003…
    [2 / 3, 3, '0.667'],
    [1, 3, '1.000'],
    [0, 3, '0.000'],
    [0.00049999999999999, 3, '0.000'],
    [0.0005, 3, '0.001'], // not a tie: 0.0005 is really 0.000500000000000000010…
  ];
  for (const [x, d, s] of cases) assert.equal(pythonFixed(x, d), s, `${x} to ${d} digits`);
});

test('pythonRight pads on the left to the width, like {:>width}', () => {
  assert.equal(pythonRight('abc', 6), '   abc');
  assert.equal(pythonRight('abcdefg', 6), 'abcdefg');
});
