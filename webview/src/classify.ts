// Classification results: top-k probabilities per image, the input and its Grad-CAM overlay.
import type { ToWebview } from '../../src/shared/webviewMessages.js';
import { baseName, clear, fmt, h } from './dom.js';

export function classify(root: HTMLElement): (m: ToWebview) => void {
  return (m) => {
    if (m.type !== 'classification') return;
    clear(root);
    root.append(h('h1', {}, `Classified ${m.results.length} image${m.results.length === 1 ? '' : 's'}`), h('p', { class: 'muted' }, `Run ${m.runId} · classes ${m.classes.join(', ')}`));
    for (const r of m.results) {
      const card = h('section', { class: r.error ? 'result result-error' : 'result', 'data-path': r.path },
        h('h2', { title: r.path }, baseName(r.path)));
      if (r.error) {
        card.append(h('p', { class: 'error' }, `Could not classify: ${r.error.message}`));
      } else {
        const bars = h('table', { class: 'probs' },
          ...(r.top ?? []).map((t, i) =>
            h('tr', { class: i === 0 ? 'top1' : undefined },
              h('th', { scope: 'row' }, t.className),
              h('td', { class: 'bar-cell' }, h('div', { class: 'bar', style: `width:${Math.max(1, t.probability * 100).toFixed(1)}%` })),
              h('td', { class: 'prob' }, `${fmt(t.probability * 100, 1)}%`),
            ),
          ),
        );
        card.append(
          h('div', { class: 'result-body' },
            r.gradcam ? h('figure', {}, h('img', { src: r.gradcam, alt: 'Grad-CAM overlay', class: 'gradcam' }), h('figcaption', { class: 'muted' }, `Grad-CAM for ${r.top?.[0]?.className}`)) : h('p', { class: 'muted' }, r.gradcamNote ?? ''),
            bars,
          ),
        );
      }
      root.append(card);
    }
  };
}
