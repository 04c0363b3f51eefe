// The activations view: pick an image and a layer, see the feature-map grid; first-layer filters; Grad-CAM.
import type { ToWebview } from '../../src/shared/webviewMessages.js';
import type { Host } from './host.js';
import { baseName, clear, fmt, h } from './dom.js';

export function activations(root: HTMLElement, host: Host): (m: ToWebview) => void {
  clear(root);
  const select = h('vscode-single-select', { id: 'layer-select', 'aria-label': 'Layer' }) as HTMLElement & { value: string };
  const status = h('p', { id: 'act-status', class: 'muted' }, 'Loading the backbone…');
  const imageLabel = h('span', { id: 'act-image' }, 'no image');
  const grid = h('div', { id: 'act-grid' });
  const side = h('div', { id: 'act-side' });
  root.append(
    h('h1', { id: 'act-title' }, 'Activations'),
    h('div', { class: 'toolbar' },
      h('vscode-button', { id: 'pick-image', secondary: true, onclick: () => host.post({ type: 'pickImage' }) }, 'Pick Image…'),
      imageLabel,
      h('label', { class: 'muted' }, 'Layer'),
      select,
      h('vscode-button', { id: 'show-maps', onclick: () => select.value && host.post({ type: 'activations', layer: select.value }) }, 'Show Feature Maps'),
      h('vscode-button', { id: 'show-filters', secondary: true, onclick: () => host.post({ type: 'filters' }) }, 'First-Layer Filters'),
      h('vscode-button', { id: 'show-gradcam', secondary: true, onclick: () => host.post({ type: 'gradcam' }) }, 'Grad-CAM'),
    ),
    status,
    h('div', { class: 'act-body' }, grid, side),
  );
  select.addEventListener('change', () => select.value && host.post({ type: 'activations', layer: select.value }));

  return (m) => {
    switch (m.type) {
      case 'layers': {
        clear(select);
        (root.querySelector('#act-title') as HTMLElement).textContent = `Activations — ${m.backbone}`;
        for (const l of m.layers) {
          const shape = l.shape.slice(1).join('×');
          select.append(h('vscode-option', { value: l.name, selected: l.name === m.defaultLayer, description: `${l.className} ${shape}` }, `${l.name} (${shape})`));
        }
        select.value = m.defaultLayer;
        imageLabel.textContent = m.image ? baseName(m.image) : 'no image — pick one';
        status.textContent = m.image ? `Computing ${m.defaultLayer}…` : `${m.layers.length} layers with feature maps. Pick an image.`;
        return;
      }
      case 'activations':
        clear(grid);
        imageLabel.textContent = baseName(m.imagePath);
        grid.append(
          h('h2', {}, `${m.layer}: ${m.shape.join(' × ')} — ${m.shown} of ${m.shape[2]} maps`),
          h('img', { id: 'act-grid-img', src: m.grid, alt: `feature maps of ${m.layer}`, 'data-maps': m.shown, 'data-columns': m.columns }),
        );
        clear(side);
        side.append(h('h2', {}, 'Input (as the network sees it)'), h('img', { src: m.image, alt: 'input image', class: 'input-img' }));
        status.textContent = `Each tile is one channel of ${m.layer}, scaled to its own range (dark low, bright high).`;
        return;
      case 'filters':
        clear(grid);
        grid.append(h('h2', {}, `Filters of ${m.layer}: ${m.shape.join(' × ')} — ${m.shown} shown`), h('img', { id: 'filters-img', src: m.grid, alt: `filters of ${m.layer}` }));
        status.textContent = 'Learned convolution kernels, each scaled to its own range.';
        return;
      case 'gradcam': {
        clear(side);
        const r = m.result;
        if (r.error) {
          side.append(h('p', { class: 'error' }, r.error.message));
          return;
        }
        side.append(
          h('h2', {}, 'Grad-CAM'),
          r.gradcam ? h('img', { id: 'gradcam-img', src: r.gradcam, alt: 'Grad-CAM overlay', class: 'input-img' }) : h('p', { class: 'muted' }, r.gradcamNote ?? 'No overlay.'),
          h('ol', { class: 'topk' }, ...(r.top ?? []).map((t) => h('li', {}, `${t.className} ${fmt(t.probability * 100, 1)}%`))),
        );
        status.textContent = 'Grad-CAM: where the trained model looked for its top class.';
        return;
      }
      case 'busy':
        status.textContent = m.message ?? '';
        return;
      case 'error':
        status.textContent = m.message;
        status.className = 'error';
        setTimeout(() => (status.className = 'muted'), 4000);
        return;
      default:
        return;
    }
  };
}
