// The run report: one renderer for the VS Code panel and for the standalone HTML file.
import { cellPredictions, topLosses, type ReportData } from '../../src/shared/report.js';
import type { EpochEvent } from '../../src/shared/protocol.js';
import { chart, confusionOption, curvesOption, disposeCharts, embeddingOption, type CurvePoint } from './charts.js';
import { baseName, clear, fmt, h } from './dom.js';

export interface ReportHooks {
  /** Ask the host for thumbnails it did not embed (VS Code only). */
  requestThumbs?(paths: string[]): void;
  standalone: boolean;
}

interface Prediction {
  path: string;
  label: string;
  predicted: string;
  probabilities: number[];
}

const CELL_LIMIT = 60;

export class ReportView {
  private data: ReportData | undefined;
  private thumbs: Record<string, string> = {};
  private cellBox: HTMLElement | undefined;
  private openCell: { row: number; col: number } | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly hooks: ReportHooks,
  ) {}

  addThumbs(thumbs: Record<string, string>): void {
    Object.assign(this.thumbs, thumbs);
    if (this.openCell) this.renderCell(this.openCell.row, this.openCell.col);
  }

  render(data: ReportData): void {
    this.data = data;
    this.thumbs = { ...data.thumbs };
    this.openCell = undefined;
    disposeCharts(this.root);
    clear(this.root);
    const r = data.record;
    const m = r.metrics;
    const classes = m.classes;
    document.title = `FTTL report — ${r.model}`;

    this.root.append(
      h('header', { class: 'report-header' },
        h('h1', {}, r.model),
        h('p', { class: 'muted' },
          `Run ${r.id} · ${r.kind === 'finetune' ? 'fine-tuned' : 'transfer learning'} · ${new Date(r.createdAt).toLocaleString()} · backend ${r.backend.name} (${r.backend.runtime})`),
        h('p', { class: 'muted' },
          `Backbone ${r.config.backboneName} — layer ${r.config.layer} (${r.config.pooling}, ${r.featureDim}-d) · data ${r.config.train}${r.config.test ? ` · test ${r.config.test}` : ` · stratified test split ${Math.round(r.config.testFraction * 100)}%`} · seed ${r.config.seed}`),
      ),
    );

    // Headline metrics.
    const card = (label: string, value: string, id: string, title?: string) =>
      h('div', { class: 'metric', id, title }, h('div', { class: 'metric-value' }, value), h('div', { class: 'metric-label' }, label));
    this.root.append(
      h('section', { class: 'metrics', 'aria-label': 'Headline metrics' },
        card('Accuracy', fmt(m.accuracy), 'metric-accuracy'),
        card('Kappa (quadratic)', fmt(m.kappa.quadratic), 'metric-kappa-quadratic', 'Cohen’s kappa with quadratic weights — the DR grading competitions’ metric'),
        card('Kappa (linear)', fmt(m.kappa.linear), 'metric-kappa-linear'),
        card('Kappa (unweighted)', fmt(m.kappa.unweighted), 'metric-kappa-unweighted'),
        card('ROC AUC (macro, one-vs-rest)', fmt(m.auc), 'metric-auc'),
        card('Test images', String(m.count), 'metric-count'),
      ),
    );

    // Confusion matrix heat map; a click on a cell lists its images.
    const heat = h('div', { class: 'chart chart-square', id: 'confusion', role: 'img', 'aria-label': 'Confusion matrix heat map' });
    this.cellBox = h('div', { id: 'cell-images', class: 'gallery-box' }, h('p', { class: 'muted' }, 'Click a cell to see its images.'));
    this.root.append(
      h('section', {},
        h('h2', {}, 'Confusion matrix'),
        h('p', { class: 'muted' }, 'Rows: true grade · columns: predicted grade.'),
        heat,
        this.cellBox,
      ),
    );
    const c = chart(heat, confusionOption(m.confusionMatrix, classes));
    c.on('click', (p) => {
      const v = (p as unknown as { value: [number, number, number] }).value;
      if (Array.isArray(v)) this.renderCell(v[1], v[0]);
    });

    // Classification report (as scikit-learn prints it) + per-class ROC AUC.
    const row = (name: string, s: { precision: number; recall: number; f1: number; support: number }, auc?: number | null, cls?: string) =>
      h('tr', { class: cls }, h('th', { scope: 'row' }, name), h('td', {}, fmt(s.precision, 2)), h('td', {}, fmt(s.recall, 2)), h('td', {}, fmt(s.f1, 2)), h('td', {}, String(s.support)), h('td', {}, auc === undefined ? '' : fmt(auc, 3)));
    this.root.append(
      h('section', {},
        h('h2', {}, 'Classification report'),
        h('table', { class: 'data', id: 'classification-report' },
          h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'precision'), h('th', {}, 'recall'), h('th', {}, 'f1-score'), h('th', {}, 'support'), h('th', {}, 'ROC AUC'))),
          h('tbody', {},
            ...m.report.perClass.map((s, i) => row(s.name, s, m.aucPerClass[i] ?? null)),
            h('tr', { class: 'sep' }, h('th', { scope: 'row' }, 'accuracy'), h('td', {}, ''), h('td', {}, ''), h('td', {}, fmt(m.report.accuracy, 2)), h('td', {}, String(m.count)), h('td', {}, '')),
            row('macro avg', m.report.macro, m.auc),
            row('weighted avg', m.report.weighted),
          ),
        ),
      ),
    );

    // Training curves.
    const curves = h('div', { class: 'chart', id: 'curves' });
    const xName = r.config.head['kind'] === 'lr' ? 'L-BFGS iteration' : 'epoch';
    this.root.append(
      h('section', {},
        h('h2', {}, 'Training curves'),
        r.history.length ? curves : h('p', { class: 'muted' }, 'No per-epoch history in this run.'),
        r.bestEpoch !== null ? h('p', { class: 'muted' }, `Weights of epoch ${r.bestEpoch} kept (best validation loss).`) : null,
      ),
    );
    if (r.history.length) chart(curves, curvesOption(r.history as CurvePoint[], xName));

    // Misclassified gallery: highest loss first.
    const worst = topLosses(data.predictions, classes, 24);
    this.root.append(
      h('section', {},
        h('h2', {}, `Misclassified images (${data.predictions.filter((p) => p.label !== p.predicted).length}) — top losses`),
        worst.length ? this.gallery(worst, 'gallery-misclassified') : h('p', { class: 'muted' }, 'None: every test image was classified correctly.'),
      ),
    );

    // Embedding map.
    if (data.embedding && data.embedding.points.length > 0) {
      const emb = h('div', { class: 'chart chart-square', id: 'embedding' });
      this.root.append(h('section', {}, h('h2', {}, 'Embedding map'), h('p', { class: 'muted' }, `${data.embedding.method}. Filled: correct; hollow: misclassified.`), emb));
      const pts = data.embedding.points.map((p) => ({ x: p.x, y: p.y, label: p.label, correct: p.correct, name: `${baseName(p.path)} — true ${p.label}, predicted ${p.predicted}` }));
      chart(emb, embeddingOption(pts, classes));
    }

    if (data.comparison) this.root.append(comparisonSection(data.comparison, r.id));

    if (r.skipped.length) {
      this.root.append(h('section', {}, h('h2', {}, `Skipped files (${r.skipped.length})`), h('ul', { class: 'skipped' }, ...r.skipped.map((s) => h('li', {}, `${s.path}: ${s.reason}`)))));
    }
    this.root.append(h('footer', { class: 'muted' }, `Generated by FTTL ${new Date(data.generatedAt).toLocaleString()} from ${data.runDir}`));
  }

  private gallery(items: Prediction[], id?: string): HTMLElement {
    const classes = this.data!.record.metrics.classes;
    const missing = items.filter((p) => !this.thumbs[p.path]).map((p) => p.path);
    if (missing.length && this.hooks.requestThumbs) this.hooks.requestThumbs(missing.slice(0, 200));
    return h('div', { class: 'gallery', id },
      ...items.map((p) => {
        const k = classes.indexOf(p.predicted);
        const t = classes.indexOf(p.label);
        const thumb = this.thumbs[p.path];
        return h('figure', { class: p.label === p.predicted ? 'thumb' : 'thumb wrong', title: p.path },
          thumb ? h('img', { src: thumb, alt: baseName(p.path), width: 96, height: 96 }) : h('div', { class: 'noimg' }, this.hooks.standalone ? 'not embedded' : '…'),
          h('figcaption', {},
            h('span', {}, baseName(p.path)),
            h('span', {}, `true ${p.label}`),
            h('span', {}, `pred ${p.predicted} ${fmt(p.probabilities[k], 2)}`),
            p.label !== p.predicted ? h('span', { class: 'muted' }, `p(true) ${fmt(p.probabilities[t], 2)}`) : null,
          ),
        );
      }),
    );
  }

  private renderCell(row: number, col: number): void {
    if (!this.data || !this.cellBox) return;
    this.openCell = { row, col };
    const classes = this.data.record.metrics.classes;
    const items = cellPredictions(this.data, row, col);
    clear(this.cellBox);
    this.cellBox.append(
      h('h3', { id: 'cell-title' }, `True ${classes[row]} → predicted ${classes[col]}: ${items.length} image${items.length === 1 ? '' : 's'}`),
      items.length ? this.gallery(items.slice(0, CELL_LIMIT), 'gallery-cell') : h('p', { class: 'muted' }, 'No images in this cell.'),
    );
    if (items.length > CELL_LIMIT) this.cellBox.append(h('p', { class: 'muted' }, `First ${CELL_LIMIT} shown.`));
  }
}

export function comparisonSection(rows: { id: string; model: string; accuracy: number; kappa: number; kappaLinear: number; auc: number | null; testCount: number }[], highlight?: string): HTMLElement {
  return h('section', {},
    h('h2', {}, 'Comparison'),
    h('table', { class: 'data', id: 'comparison' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Model'), h('th', {}, 'Accuracy'), h('th', {}, 'Kappa (quadratic)'), h('th', {}, 'Kappa (linear)'), h('th', {}, 'ROC AUC'), h('th', {}, 'Test n'), h('th', {}, 'Run'))),
      h('tbody', {},
        ...rows.map((r) =>
          h('tr', { class: r.id === highlight ? 'current' : undefined },
            h('th', { scope: 'row' }, r.model), h('td', {}, fmt(r.accuracy)), h('td', {}, fmt(r.kappa)), h('td', {}, fmt(r.kappaLinear)), h('td', {}, fmt(r.auc)), h('td', {}, String(r.testCount)), h('td', { class: 'muted' }, r.id)),
        ),
      ),
    ),
  );
}

/** Training in progress: live curves from the epoch events. */
export function renderLive(root: HTMLElement, title: string, epochs: EpochEvent[], state: string, message?: string): void {
  let box = root.querySelector<HTMLElement>('#live');
  if (!box) {
    disposeCharts(root);
    clear(root);
    box = h('section', { id: 'live' }, h('h1', { id: 'live-title' }), h('p', { id: 'live-status', class: 'muted' }), h('div', { class: 'chart', id: 'live-curves' }));
    root.append(box);
  }
  box.querySelector('#live-title')!.textContent = title;
  const last = epochs.at(-1);
  const status = message ?? (last ? `${last.phase}: ${last.epoch}/${last.total} — loss ${fmt(last.loss, 4)}${last.valLoss !== undefined ? `, val loss ${fmt(last.valLoss, 4)}` : ''}` : 'Waiting for the first epoch…');
  const statusEl = box.querySelector('#live-status')!;
  statusEl.textContent = `${state === 'running' ? '● ' : ''}${status}`;
  statusEl.setAttribute('data-state', state);
  const curves = box.querySelector<HTMLElement>('#live-curves')!;
  chart(curves, curvesOption(epochs.map((e) => ({ epoch: e.epoch, loss: e.loss, valLoss: e.valLoss })), epochs[0]?.phase === 'train lr' ? 'L-BFGS iteration' : 'epoch'));
}
