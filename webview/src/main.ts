// Entry of the webview bundle (dist/webview.js): picks the view named by <body data-view>, and in a
// standalone report file reads the embedded report data instead of talking to VS Code.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import './style.css';
import { reportDataSchema } from '../../src/shared/report.js';
import type { ToWebview } from '../../src/shared/webviewMessages.js';
import { activations } from './activations.js';
import { classify } from './classify.js';
import { clear, h } from './dom.js';
import { connect } from './host.js';
import { comparisonSection, renderLive, ReportView } from './report.js';
import { sidebar } from './sidebar.js';
import { disposeCharts } from './charts.js';

const root = document.getElementById('app')!;
const host = connect();
const view = document.body.dataset['view'] ?? 'report';

function showError(message: string) {
  const el = document.getElementById('error-banner') ?? h('p', { id: 'error-banner', class: 'error', role: 'alert' });
  el.textContent = message;
  if (!el.isConnected) root.prepend(el);
}

if (host.kind === 'standalone') {
  // `fttl report --html`: the data is in the page; nothing is fetched, nothing is sent.
  const raw = document.getElementById('fttl-report-data')?.textContent ?? 'null';
  const parsed = reportDataSchema.safeParse(JSON.parse(raw));
  if (parsed.success) new ReportView(root, { standalone: true }).render(parsed.data);
  else {
    clear(root);
    root.append(h('p', { class: 'error' }, `This report file is damaged: ${parsed.error.issues[0]?.message ?? 'invalid data'}`));
  }
} else {
  let handle: (m: ToWebview) => void;
  if (view === 'sidebar') handle = sidebar(root, host);
  else if (view === 'activations') handle = activations(root, host);
  else if (view === 'classify') {
    clear(root);
    root.append(h('p', { class: 'muted' }, 'Classifying…'));
    handle = classify(root);
  } else {
    const report = new ReportView(root, { standalone: false, requestThumbs: (paths) => host.post({ type: 'thumbs', paths }) });
    clear(root);
    root.append(h('p', { class: 'muted' }, 'Loading the report…'));
    handle = (m) => {
      if (m.type === 'report') report.render(m.data);
      else if (m.type === 'thumbs') report.addThumbs(m.thumbs);
      else if (m.type === 'live') renderLive(root, m.title, m.epochs, m.state, m.message);
      else if (m.type === 'comparison') {
        disposeCharts(root);
        clear(root);
        root.append(h('h1', {}, 'Compare runs'), comparisonSection(m.rows));
      }
    };
  }
  host.onMessage((m) => {
    if (m.type === 'error' && view !== 'activations') showError(m.message);
    else handle(m);
  });
  host.post({ type: 'ready' });
}
