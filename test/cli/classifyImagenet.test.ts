import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sharedData, testPhoto } from '../helpers/shared.js';
import { parseJsonOutput, runCli } from '../helpers/cli.js';

/** The real ImageNet MobileNet, loaded from its TF.js folder, recognises real photographs. */
const weights = sharedData('mobilenet_v1_0.75_224_imagenet');
const photos = { cat: testPhoto('chelsea.png'), espresso: testPhoto('coffee.png'), moped: testPhoto('motorcycle_left.png') };

test('fttl classify --backbone <ImageNet model>: a cat, an espresso and a moped', { skip: weights.skip || photos.cat.skip }, async () => {
  const r = await runCli(['classify', photos.cat.path, photos.espresso.path, photos.moped.path, '--backbone', weights.path, '--top', '3', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [cat, espresso, moped] = parseJsonOutput<{ results: { top: { className: string; probability: number }[] }[] }>(r).results;
  assert.match(cat!.top[0]!.className, /^(Egyptian cat|tiger cat|tabby)/);
  assert.ok(cat!.top.slice(0, 3).every((t) => /cat/.test(t.className)), JSON.stringify(cat!.top));
  assert.equal(espresso!.top[0]!.className, 'espresso');
  assert.ok(espresso!.top[0]!.probability > 0.8);
  assert.match(moped!.top[0]!.className, /moped|scooter/);
});
