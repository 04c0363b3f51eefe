import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../../src/engine/data/csv.js';
import { FttlError } from '../../../src/engine/util/errors.js';

test('parseCsv: BOM, CRLF, quotes, blank lines and line numbers', () => {
  const text = '\ufeffimage,level\r\n"a,b.png",1\r\n\r\n"multi\nline",2\n"say ""hi""",3\nlast,4';
  const recs = parseCsv(text, 'x.csv');
  assert.deepEqual(recs, [
    { line: 1, fields: ['image', 'level'] },
    { line: 2, fields: ['a,b.png', '1'] },
    { line: 4, fields: ['multi\nline', '2'] },
    { line: 6, fields: ['say "hi"', '3'] },
    { line: 7, fields: ['last', '4'] },
  ]);
});

test('parseCsv: an unclosed quote names its line', () => {
  assert.throws(
    () => parseCsv('image,level\nok,1\n"broken,2\n', 'x.csv'),
    (e: unknown) => e instanceof FttlError && e.kind === 'bad-input' && e.message.startsWith('x.csv:3:'),
  );
});
