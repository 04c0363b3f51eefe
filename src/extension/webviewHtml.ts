// The HTML shell of every FTTL webview: a strict Content-Security-Policy with a per-load nonce,
// the one bundled script and stylesheet, nothing remote. Pure, so it is unit-tested.
import { randomBytes } from 'node:crypto';

export type WebviewKind = 'sidebar' | 'report' | 'activations' | 'classify';

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    // Images arrive as data: URLs made by the engine (thumbnails, grids, Grad-CAM) or from the bundle.
    `img-src ${cspSource} data:`,
    // Inline style attributes are set by the chart library's SVG renderer and the web components.
    `style-src ${cspSource} 'unsafe-inline'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function webviewHtml(opts: { kind: WebviewKind; title: string; cspSource: string; scriptUri: string; styleUri: string; nonce: string; codiconsUri?: string }): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(opts.cspSource, opts.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<link rel="stylesheet" href="${esc(opts.styleUri)}">
</head>
<body data-view="${opts.kind}" data-host="vscode">
<div id="app" aria-live="polite"><p class="muted">Loading…</p></div>
<script nonce="${opts.nonce}" src="${esc(opts.scriptUri)}"></script>
</body>
</html>`;
}
