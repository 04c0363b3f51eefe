// A TF.js model served over http(s): loaded with tfjs' own http loader, class names from metadata.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs';
import { loadBackbone } from '../../../src/engine/backbones/backbone.js';
import { FttlError } from '../../../src/engine/util/errors.js';
import { sharedData } from '../../helpers/shared.js';

await tf.setBackend('cpu');

const v1 = sharedData('mobilenet_v1_0.75_224_imagenet');
test('http URL of a TF.js folder (local server): MobileNet v1 α0.75 with class names; 404 is a clear error', { skip: v1.skip }, async () => {
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/models\//, '');
    if (name.includes('..') || name.includes('/')) return void res.writeHead(404).end();
    readFile(join(v1.path, name)).then(
      (data) => res.writeHead(200).end(data),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`;
  try {
    const b = await loadBackbone(base);
    assert.equal(b.architecture, 'mobilenet_v1');
    assert.equal(b.alpha, 0.75);
    assert.equal(b.classNames?.length, 1000);
    const local = await loadBackbone(v1.path);
    assert.equal(b.id, local.id, 'same weights over http and from disk');
    await assert.rejects(loadBackbone(`${base}missing/model.json`), (e: unknown) => e instanceof FttlError && e.message.includes('missing/model.json'));
    b.model.dispose();
    local.model.dispose();
  } finally {
    server.close();
  }
});
