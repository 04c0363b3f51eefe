// The side panel: the dataset, the backbone, action buttons and the runs list.
import type { ToWebview } from '../../src/shared/webviewMessages.js';
import type { Host } from './host.js';
import { baseName, clear, fmt, h } from './dom.js';

type RunsMessage = Extract<ToWebview, { type: 'runs' }>;

export function sidebar(root: HTMLElement, host: Host): (m: ToWebview) => void {
  const selected = new Set<string>();
  let last: RunsMessage | undefined;
  const button = (label: string, command: Parameters<Host['post']>[0] & { type: 'command' }, opts: { secondary?: boolean; disabled?: boolean } = {}) =>
    h('vscode-button', { secondary: opts.secondary, disabled: opts.disabled, onclick: () => host.post(command), 'data-command': command.command }, label);

  const render = (m: RunsMessage) => {
    last = m;
    clear(root);
    const busy = m.busy !== null;
    root.append(
      h('section', { class: 'side-section' },
        h('div', { class: 'kv' }, h('span', { class: 'muted' }, 'Dataset'), h('span', { id: 'side-dataset', title: m.dataset ?? '' }, m.dataset ? baseName(m.dataset) : 'none selected')),
        h('div', { class: 'kv' }, h('span', { class: 'muted' }, 'Backbone'), h('span', { id: 'side-backbone' }, m.backbone)),
        m.trusted ? null : h('p', { class: 'warn' }, 'Untrusted folder: training and model loading are off; reports can be read.'),
        busy ? h('p', { class: 'busy', id: 'side-busy' }, h('vscode-progress-ring', {}), ` ${m.busy}`) : null,
        h('div', { class: 'buttons' },
          button('Select Dataset…', { type: 'command', command: 'fttl.selectDataset' }, { secondary: true }),
          button('Extract Features', { type: 'command', command: 'fttl.extractFeatures' }, { disabled: busy || !m.trusted }),
          button('Train Head…', { type: 'command', command: 'fttl.trainHead' }, { disabled: busy || !m.trusted }),
        ),
      ),
    );
    const list = h('div', { id: 'runs', role: 'list' });
    if (busy && /^Training|fine-tune/i.test(m.busy ?? '')) {
      list.append(
        h('div', { class: 'run running', role: 'listitem', id: 'run-in-progress' },
          h('vscode-progress-ring', {}),
          h('div', { class: 'run-main' }, h('div', { class: 'run-model' }, m.busy), h('div', { class: 'run-meta muted' }, `${m.backbone} · running (Cancel in its notification)`)),
        ),
      );
    }
    if (m.runs.length === 0 && !busy) list.append(h('p', { class: 'muted' }, 'No runs yet. Select a dataset, extract features, train a head.'));
    const best = [...m.runs].sort((a, b) => b.kappa - a.kappa || b.accuracy - a.accuracy)[0];
    for (const r of [...m.runs].reverse()) {
      const check = h('vscode-checkbox', { 'aria-label': `select ${r.model} for comparison`, checked: selected.has(r.id) });
      check.addEventListener('change', (e) => {
        e.stopPropagation();
        if ((check as unknown as { checked: boolean }).checked) selected.add(r.id);
        else selected.delete(r.id);
        compare.toggleAttribute('disabled', selected.size === 0);
      });
      list.append(
        h('div', { class: 'run', role: 'listitem', 'data-run-id': r.id, tabindex: 0, title: `${r.id}\n${r.dir}\nClick to open its report`,
            onclick: (e: Event) => {
              if ((e.target as Element).closest('vscode-checkbox')) return;
              host.post({ type: 'openRun', runId: r.id });
            },
            onkeydown: (e: Event) => {
              if ((e as KeyboardEvent).key === 'Enter') host.post({ type: 'openRun', runId: r.id });
            } },
          check,
          h('div', { class: 'run-main' },
            h('div', { class: 'run-model' }, r.model, r.id === best?.id ? h('vscode-badge', { class: 'best' }, 'best') : null),
            h('div', { class: 'run-meta muted' }, `${r.kind === 'finetune' ? 'fine-tune' : r.head} · ${r.backbone} · ✓ done`),
            h('div', { class: 'run-metrics' }, h('span', { class: 'acc' }, `acc ${fmt(r.accuracy)}`), h('span', { class: 'kappa' }, `κ ${fmt(r.kappa)}`)),
          ),
        ),
      );
    }
    const compare = h('vscode-button', { secondary: true, disabled: selected.size === 0, onclick: () => selected.size && host.post({ type: 'compare', runIds: [...selected] }) }, 'Compare Selected');
    root.append(h('section', { class: 'side-section' }, h('h2', {}, `Runs (${m.runs.length})`), list, m.runs.length ? compare : null));
  };
  return (m) => {
    if (m.type === 'runs') render(m);
    else if (m.type === 'busy' && last) render({ ...last, busy: m.message });
  };
}
