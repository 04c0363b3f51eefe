import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, makeNonce, webviewHtml } from '../../src/extension/webviewHtml.js';
import { scriptSafeJson, standaloneReportHtml } from '../../src/shared/reportHtml.js';

test('webview HTML: strict CSP with a fresh nonce, nothing remote', () => {
  const n1 = makeNonce();
  const n2 = makeNonce();
  assert.notEqual(n1, n2);
  assert.match(n1, /^[A-Za-z0-9]{16,}$/);
  const html = webviewHtml({ kind: 'report', title: 'R <x>', cspSource: 'https://x.vscode-cdn.net', scriptUri: 'https://x.vscode-cdn.net/dist/webview.js', styleUri: 'https://x.vscode-cdn.net/dist/webview.css', nonce: n1 });
  const csp = contentSecurityPolicy('https://x.vscode-cdn.net', n1);
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${n1}'`));
  assert.doesNotMatch(csp, /script-src[^;]*unsafe/);
  assert.ok(html.includes(`<script nonce="${n1}" src=`));
  assert.ok(html.includes('R &lt;x&gt;'), 'the title is escaped');
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.match(html, /data-view="report"/);
});

test('standalone report: data embedded safely, scripts inline with a nonce, no remote loads', () => {
  const data = { record: { model: 'M </script><script>alert(1)</script>' } } as never;
  const html = standaloneReportHtml({ data, script: 'console.log("</script>")', css: 'body{}', nonce: 'abc' });
  assert.match(html, /script-src 'nonce-abc'/);
  assert.match(html, /img-src data:/);
  assert.ok(!html.includes('<script>alert(1)'), 'report data cannot close the script element');
  assert.ok(html.includes('<\\/script>'), 'the bundle cannot close its own element');
  assert.equal(JSON.parse(scriptSafeJson({ a: '</script>\u2028' })).a, '</script>\u2028');
  assert.doesNotMatch(html, /(src|href)="https?:/);
});
