// The standalone report file (`fttl report <run> --html <file>`): the same renderer as the VS Code
// panel (dist/webview.js), inlined with its stylesheet and the report data into one HTML file that
// works offline — no remote content, a strict CSP, theme colours from the viewer's light/dark setting.
import type { ReportData } from './report.js';

/** VS Code's theme variables that the webview stylesheet and charts read, for outside VS Code. */
const LIGHT = {
  '--vscode-font-family': 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': 'ui-monospace, Menlo, Consolas, monospace',
  '--vscode-foreground': '#3b3b3b',
  '--vscode-descriptionForeground': '#717171',
  '--vscode-editor-background': '#ffffff',
  '--vscode-editorWidget-background': '#f8f8f8',
  '--vscode-widget-border': '#e5e5e5',
  '--vscode-errorForeground': '#f85149',
  '--vscode-charts-lines': '#00000080',
  '--vscode-charts-blue': '#1a85ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#388a34',
  '--vscode-charts-red': '#e51400',
  '--vscode-charts-purple': '#652d90',
  '--vscode-charts-yellow': '#bf8803',
  '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
};
const DARK = {
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-widget-border': '#313131',
  '--vscode-charts-lines': '#ffffff80',
  '--vscode-charts-blue': '#3794ff',
  '--vscode-charts-orange': '#d18616',
  '--vscode-charts-green': '#89d185',
  '--vscode-charts-red': '#f14c4c',
  '--vscode-charts-purple': '#b180d7',
  '--vscode-charts-yellow': '#cca700',
  '--vscode-list-inactiveSelectionBackground': '#37373d',
};

const vars = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}: ${v};`).join(' ');
const escText = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** JSON safe inside a <script> element (no `</script>`, no `<!--`). */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function standaloneReportHtml(opts: { data: ReportData; script: string; css: string; nonce: string }): string {
  const { data, nonce } = opts;
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'`;
  const script = opts.script.replace(/<\/script/gi, '<\\/script');
  const css = opts.css.replace(/<\/style/gi, '<\\/style');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="FTTL">
<title>FTTL report — ${escText(data.record.model)}</title>
<style>
:root { ${vars(LIGHT)} }
@media (prefers-color-scheme: dark) { :root { ${vars(DARK)} } }
${css}
</style>
</head>
<body data-view="report" data-host="standalone">
<div id="app"><noscript>This report needs JavaScript to draw its charts.</noscript></div>
<script type="application/json" id="fttl-report-data">${scriptSafeJson(data)}</script>
<script nonce="${nonce}">${script}</script>
</body>
</html>
`;
}
