import { test } from 'node:test';
import assert from 'node:assert/strict';
import { naturalCompare, naturalSort } from '../../../src/engine/data/naturalSort.js';
import { leadingInteger, matchClass } from '../../../src/engine/data/classNames.js';

test('natural sort orders digit runs by value', () => {
  assert.deepEqual(naturalSort(['10', '2', '1']), ['1', '2', '10']);
  assert.deepEqual(naturalSort(['img10.png', 'img9.png', 'img1.png']), ['img1.png', 'img9.png', 'img10.png']);
  assert.deepEqual(
    naturalSort(['4_proliferative', '10_other', '0_no_dr', '2_moderate', '1_mild', '3_severe']),
    ['0_no_dr', '1_mild', '2_moderate', '3_severe', '4_proliferative', '10_other'],
  );
  assert.deepEqual(naturalSort(['b', 'a10', 'a2', 'a']), ['a', 'a2', 'a10', 'b']);
  // Huge numbers do not overflow; leading zeros compare by value with a stable tie-break.
  assert.ok(naturalCompare('x99999999999999999999', 'x100000000000000000000') < 0);
  assert.deepEqual(naturalSort(['01', '1', '002']), ['01', '1', '002']);
  assert.equal(naturalCompare('same', 'same'), 0);
});

test('class matching: exact first, then bare level ↔ numbered name', () => {
  const classes = ['0_no_dr', '1_mild', '2_moderate', '3_severe', '4_proliferative'];
  assert.equal(matchClass('3_severe', classes), 3);
  assert.equal(matchClass('3', classes), 3);
  assert.equal(matchClass('7', classes), -1);
  assert.equal(matchClass('3_severe', ['0', '1', '2', '3', '4']), 3);
  assert.equal(matchClass('1_cat', ['1_dog']), -1, 'two names sharing a number do not match');
  assert.equal(matchClass('1', ['1_a', '1_b']), -1, 'ambiguous');
  assert.equal(leadingInteger('12abc'), 12);
  assert.equal(leadingInteger('abc'), undefined);
});
