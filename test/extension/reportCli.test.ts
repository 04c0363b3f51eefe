// `fttl report <run> --html <file>`: the VS Code report's renderer in one self-contained HTML file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticFundusDataset } from '../../src/engine/data/synthetic.js';
import { EXIT } from '../../src/cli/exitCodes.js';
import { reportDataSchema } from '../../src/shared/report.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';

test('a trained run becomes one offline HTML report holding the run record, predictions, thumbnails and the embedding map', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fttl-report-'));
  await writeSyntheticFundusDataset(join(dir, 'data'), { perClass: 6, size: 48, seed: 2 });
  const workdir = join(dir, 'work');
  const trained = await runCli(['train', '--train', join(dir, 'data'), '--head', 'lr', '--json', '--workdir', workdir]);
  assert.equal(trained.code, 0, trained.stderr);
  const run = parseJsonOutput<{ runId: string; runDir: string }>(trained);

  const file = join(dir, 'out', 'report.html');
  const r = await runCli(['report', 'latest', '--html', file, '--compare', 'all', '--json', '--workdir', workdir]);
  assert.equal(r.code, 0, r.stderr);
  const j = parseJsonOutput<{ runId: string; file: string; embedding: boolean; thumbnails: number }>(r);
  assert.equal(j.runId, run.runId);
  assert.equal(j.file, file);
  assert.equal(j.embedding, true);

  const html = await readFile(file, 'utf8');
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-[\w-]+'">/);
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)="(https?:)?\/\//, 'nothing is loaded from elsewhere');
  assert.match(html, /<body data-view="report" data-host="standalone">/);
  const json = /<script type="application\/json" id="fttl-report-data">(.*?)<\/script>/s.exec(html)![1]!;
  const data = reportDataSchema.parse(JSON.parse(json));
  const record = JSON.parse(await readFile(join(run.runDir, 'run.json'), 'utf8'));
  assert.deepEqual(data.record.metrics, record.metrics);
  assert.equal(data.predictions.length, record.metrics.count);
  assert.equal(data.embedding!.points.length, record.metrics.count);
  assert.ok(Object.keys(data.thumbs).length > 0 && Object.values(data.thumbs).every((t) => t.startsWith('data:image/png;base64,')));
  assert.equal(data.comparison!.length, 1);
});

test('an unknown run is bad input (exit 3) with a clear message', async () => {
  const workdir = await mkdtemp(join(tmpdir(), 'fttl-report-'));
  const r = await runCli(['report', 'nope', '--html', join(workdir, 'x.html'), '--workdir', workdir]);
  assert.equal(r.code, EXIT.badInput);
  assert.match(r.stderr, /No run "nope"/);
});
