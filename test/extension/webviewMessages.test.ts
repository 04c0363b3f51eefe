import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFromWebview, parseToWebview } from '../../src/shared/webviewMessages.js';
import { routeWebviewMessage } from '../../src/extension/messageRouter.js';

test('webview → host: known messages pass, unknown and malformed ones are refused with a reason', () => {
  assert.ok(parseFromWebview({ type: 'ready' }).ok);
  assert.ok(parseFromWebview({ type: 'openRun', runId: 'abc' }).ok);
  assert.ok(parseFromWebview({ type: 'command', command: 'fttl.trainHead' }).ok);
  const notAllowed = parseFromWebview({ type: 'command', command: 'workbench.action.terminal.sendSequence' });
  assert.ok(!notAllowed.ok && /command/.test(notAllowed.reason), 'only FTTL commands may be run from a webview');
  const unknown = parseFromWebview({ type: 'eval', code: '1' });
  assert.ok(!unknown.ok && /"eval"/.test(unknown.reason));
  assert.ok(!parseFromWebview(null).ok);
  assert.ok(!parseFromWebview({ type: 'compare', runIds: [] }).ok, 'compare needs at least one run');
  assert.ok(!parseFromWebview({ type: 'thumbs', paths: new Array(501).fill('x') }).ok, 'thumbnail requests are bounded');
});

test('host → webview: messages are checked in the webview too', () => {
  assert.ok(parseToWebview({ type: 'busy', message: null }).ok);
  assert.ok(parseToWebview({ type: 'error', message: 'x' }).ok);
  assert.ok(!parseToWebview({ type: 'runs', runs: 'nope' }).ok);
  assert.ok(!parseToWebview({ type: 'report', data: { formatVersion: 2 } }).ok);
});

test('the router dispatches valid messages and logs + ignores the rest', async () => {
  const log: string[] = [];
  const seen: string[] = [];
  const handlers = { openRun: (m: { runId: string }) => void seen.push(m.runId) };
  assert.equal(routeWebviewMessage('sidebar', { type: 'openRun', runId: 'r1' }, handlers, (l) => log.push(l)), true);
  assert.equal(routeWebviewMessage('sidebar', { type: 'nope' }, handlers, (l) => log.push(l)), false);
  assert.equal(routeWebviewMessage('sidebar', { type: 'ready' }, handlers, (l) => log.push(l)), false, 'valid but not handled by this view');
  assert.equal(routeWebviewMessage('sidebar', 42, handlers, (l) => log.push(l)), false);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['r1']);
  assert.equal(log.length, 3);
  assert.match(log[0]!, /\[sidebar\] ignored a webview message/);
  assert.match(log[1]!, /does not handle it/);
});

test('a failing handler is logged, not thrown', async () => {
  const log: string[] = [];
  routeWebviewMessage('report', { type: 'thumbs', paths: ['a'] }, { thumbs: async () => Promise.reject(new Error('boom')) }, (l) => log.push(l));
  await new Promise((r) => setTimeout(r, 10));
  assert.match(log[0]!, /handling "thumbs" failed: boom/);
});
