// What each FTTL command does in VS Code: asks for what it needs, runs the engine call in the
// worker with progress + Cancel, logs the run to the output channel, and shows the result.
import { basename, dirname, extname } from 'node:path';
import * as vscode from 'vscode';
import type { HeadKind } from '../engine/heads/types.js';
import { WorkerError, type EpochEvent, type MethodName, type Params, type ProgressEvent, type Result, type RunSummaryWire } from '../shared/protocol.js';
import { WEBVIEW_COMMANDS } from '../shared/webviewMessages.js';
import { readSettings, resolveWorkDir, type FttlSettings } from './settings.js';
import type { WorkerClient } from './workerClient.js';
import { Panel, SidebarProvider, type WebviewHost } from './webviews.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.webp', '.bmp'];

/** The seed's head presets, as the quick pick shows them. */
export const HEAD_CHOICES: { kind: HeadKind; label: string; detail: string }[] = [
  { kind: 'lr', label: 'Logistic regression', detail: 'scikit-learn LogisticRegression(): L-BFGS, C = 1.0, max 100 iterations' },
  { kind: 'mlp1', label: 'MLP-1', detail: 'Dense 256 ReLU → BatchNorm → Dropout 0.5 → softmax; Adadelta lr 1.0, 50 epochs, batch 32' },
  { kind: 'mlp2', label: 'MLP-2', detail: 'Dense 256 → Dropout 0.5 → Dense 128 → Dropout 0.5 → softmax; Adadelta lr 1.0, 50 epochs, batch 64' },
];

const DATASET_KEY = 'fttl.dataset';
const SELECTED_RUN_KEY = 'fttl.selectedRun';

interface Job {
  label: string;
  cancel: vscode.CancellationTokenSource;
}

export class Controller implements vscode.Disposable {
  private runs: RunSummaryWire[] = [];
  private job: Job | undefined;
  private readonly sidebar: SidebarProvider;
  private readonly report: Panel;
  private readonly activations: Panel;
  private readonly classify: Panel;
  private reportRunDir: string | undefined;
  private liveEpochs: EpochEvent[] = [];
  private liveTitle = '';
  private activationImage: string | undefined;
  private activationLayer: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: WorkerClient,
    private readonly out: vscode.OutputChannel,
  ) {
    const host: WebviewHost = { extensionUri: context.extensionUri, log: (l) => this.log(l) };
    this.sidebar = new SidebarProvider(host, {
      ready: async () => {
        await this.refreshRuns();
      },
      openRun: (m) => this.openReport(m.runId),
      compare: (m) => this.compareRuns(m.runIds),
      command: (m) => {
        if ((WEBVIEW_COMMANDS as readonly string[]).includes(m.command)) void vscode.commands.executeCommand(m.command);
      },
      log: (m) => this.log(`[sidebar] ${m.message}`),
    });
    this.report = new Panel('report', 'fttl.report', host, {
      thumbs: async (m) => {
        const r = await this.call('thumbnails', { paths: m.paths, size: 96 });
        this.report.post({ type: 'thumbs', thumbs: r.thumbs });
      },
      log: (m) => this.log(`[report] ${m.message}`),
    });
    this.report.onClose = () => {
      this.reportRunDir = undefined;
      if (this.job && this.liveTitle) {
        void vscode.window.showInformationMessage(
          `FTTL: the training view was closed; "${this.job.label}" goes on. Follow it in the notification (Cancel stops it) and the FTTL output; its report will be listed in the FTTL side bar when it finishes.`,
        );
      }
    };
    this.activations = new Panel('activations', 'fttl.activations', host, {
      pickImage: async () => {
        const image = await this.pickImages(false);
        if (!image?.[0]) return;
        this.activationImage = image[0];
        await this.postLayers();
        if (this.activationLayer) await this.showActivationGrid(this.activationLayer);
      },
      activations: (m) => this.showActivationGrid(m.layer),
      filters: (m) => this.showFilters(m.layer),
      gradcam: () => this.showGradcam(),
      log: (m) => this.log(`[activations] ${m.message}`),
    });
    this.classify = new Panel('classify', 'fttl.classify', host, { log: (m) => this.log(`[classify] ${m.message}`) });
    this.disposables.push(vscode.window.registerWebviewViewProvider('fttl.runs', this.sidebar, { webviewOptions: { retainContextWhenHidden: true } }));
  }

  dispose(): void {
    this.job?.cancel.cancel();
    for (const d of this.disposables) d.dispose();
    this.report.dispose();
    this.activations.dispose();
    this.classify.dispose();
  }

  // ---- plumbing ---------------------------------------------------------------------------

  log(line: string): void {
    this.out.appendLine(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  }

  settings(): FttlSettings {
    const cfg = vscode.workspace.getConfiguration('fttl');
    return readSettings((key) => cfg.get(key));
  }

  private workspaceFolder(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  workDir(): string {
    return resolveWorkDir(this.settings(), this.workspaceFolder(), this.context.globalStorageUri.fsPath);
  }

  private workspaceParams() {
    const s = this.settings();
    return { workDir: this.workDir(), weightsCacheDir: s.weightsCache };
  }

  get dataset(): string | undefined {
    return this.context.workspaceState.get<string>(DATASET_KEY);
  }

  /** A short engine call (no progress UI); errors are shown to the user. */
  async call<M extends MethodName>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.client.request(method, params);
  }

  private trusted(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(`FTTL: ${what} is disabled in an untrusted folder (it loads models and runs code on your data). Trust this folder to use it.`, 'Manage Workspace Trust').then((c) => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  /**
   * A long engine call: a progress notification with Cancel, one job at a time, the run logged.
   * Returns undefined when cancelled or failed (the user has been told why).
   */
  private async runJob<T>(
    label: string,
    body: (hooks: { onProgress: (p: ProgressEvent) => void; onEpoch: (e: EpochEvent) => void; signal: AbortSignal }) => Promise<T>,
    opts: { onEpoch?: (e: EpochEvent) => void } = {},
  ): Promise<T | undefined> {
    if (this.job) {
      void vscode.window.showWarningMessage(`FTTL is busy: ${this.job.label}. Wait for it to finish or cancel it.`);
      return undefined;
    }
    const cancel = new vscode.CancellationTokenSource();
    const job: Job = { label, cancel };
    this.job = job;
    this.postRuns();
    const started = Date.now();
    this.log(`${label} — started`);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `FTTL: ${label}`, cancellable: true },
        async (progress, token) => {
          const controller = new AbortController();
          const abort = () => controller.abort();
          token.onCancellationRequested(abort);
          cancel.token.onCancellationRequested(abort);
          // The notification's bar only grows: it shows the current phase's share done, a new phase starting where the last one got to.
          let shown = 0;
          let lastLogged = 0;
          const onProgress = (p: ProgressEvent) => {
            const pct = p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : 0;
            const increment = Math.max(0, pct - shown);
            shown += increment;
            progress.report({ message: `${p.phase} ${p.done}/${p.total}${p.message ? ` — ${p.message}` : ''}`, increment });
            if (Date.now() - lastLogged > 2000 || p.done === p.total) {
              lastLogged = Date.now();
              this.log(`  ${p.phase}: ${p.done}/${p.total}${p.message ? ` — ${p.message}` : ''}`);
            }
          };
          return body({ onProgress, onEpoch: (e) => opts.onEpoch?.(e), signal: controller.signal });
        },
      ).then((r) => {
        this.log(`${label} — finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return r;
      });
    } catch (err) {
      this.reportError(label, err);
      return undefined;
    } finally {
      cancel.dispose();
      if (this.job === job) this.job = undefined;
      this.postRuns();
    }
  }

  /** Tells the user what went wrong, in words they can act on; logs the details. */
  reportError(label: string, err: unknown): void {
    const kind = err instanceof WorkerError ? err.kind : 'internal';
    const message = err instanceof Error ? err.message : String(err);
    this.log(`${label} — ${kind === 'cancelled' ? 'cancelled' : `failed (${kind})`}: ${message}`);
    if (kind === 'cancelled') {
      void vscode.window.showInformationMessage(`FTTL: ${label} cancelled. Nothing was saved as a run; features already computed stay cached.`);
      return;
    }
    const text = `FTTL: ${label} failed: ${message}`;
    if (kind === 'bad-input' || kind === 'weights' || kind === 'network') void vscode.window.showErrorMessage(text);
    else
      void vscode.window.showErrorMessage(text, 'Show Log').then((c) => {
        if (c) this.out.show(true);
      });
  }

  // ---- runs -----------------------------------------------------------------------------

  async refreshRuns(): Promise<RunSummaryWire[]> {
    try {
      this.runs = (await this.call('listRuns', this.workspaceParams())).runs;
    } catch (err) {
      this.log(`Listing runs failed: ${(err as Error).message}`);
    }
    this.postRuns();
    return this.runs;
  }

  private postRuns(): void {
    this.sidebar.post({
      type: 'runs',
      runs: this.runs,
      dataset: this.dataset ?? null,
      backbone: this.settings().backbone,
      busy: this.job?.label ?? null,
      trusted: vscode.workspace.isTrusted,
    });
  }

  /** Highest quadratic kappa, then accuracy, then newest. */
  bestRun(): RunSummaryWire | undefined {
    return [...this.runs].sort((a, b) => b.kappa - a.kappa || b.accuracy - a.accuracy || b.createdAt.localeCompare(a.createdAt))[0];
  }

  /** The run classification uses: the one the user selected, else the best. */
  async classificationRun(): Promise<RunSummaryWire | undefined> {
    if (this.runs.length === 0) await this.refreshRuns();
    const selected = this.context.workspaceState.get<string>(SELECTED_RUN_KEY);
    return this.runs.find((r) => r.id === selected) ?? this.bestRun();
  }

  private runLabel(r: RunSummaryWire): string {
    return `${r.model} — acc ${r.accuracy.toFixed(3)}, κ ${r.kappa.toFixed(3)}`;
  }

  async selectRun(): Promise<void> {
    await this.refreshRuns();
    if (this.runs.length === 0) return void vscode.window.showInformationMessage('FTTL: no runs yet. Extract features and train a head first.');
    const best = this.bestRun();
    const pick = await vscode.window.showQuickPick(
      [...this.runs].reverse().map((r) => ({ label: this.runLabel(r), description: r.id === best?.id ? 'best' : '', detail: r.id, run: r })),
      { title: 'FTTL: run used to classify images' },
    );
    if (!pick) return;
    await this.context.workspaceState.update(SELECTED_RUN_KEY, pick.run.id);
    void vscode.window.showInformationMessage(`FTTL: images are now classified with ${pick.run.model} (${pick.run.id}).`);
  }

  async openReport(runId?: string): Promise<void> {
    await this.refreshRuns();
    const run = runId ? this.runs.find((r) => r.id === runId) : (await this.pickRun('FTTL: open the report of…')) ?? undefined;
    if (!run) {
      if (runId) void vscode.window.showErrorMessage(`FTTL: run ${runId} is not in ${this.workDir()}.`);
      return;
    }
    await this.report.show(`FTTL Report — ${run.model}`);
    this.liveTitle = '';
    await this.loadReport(run.dir);
  }

  private async loadReport(runDir: string): Promise<void> {
    this.reportRunDir = runDir;
    try {
      const data = await this.call('report', { ...this.workspaceParams(), runDir, thumbnails: 160, embedding: vscode.workspace.isTrusted });
      if (this.reportRunDir !== runDir) return;
      this.report.post({ type: 'report', data });
      this.log(`Report of ${data.record.id}: accuracy ${data.record.metrics.accuracy.toFixed(4)}, kappa quadratic ${data.record.metrics.kappa.quadratic.toFixed(4)} (n=${data.record.metrics.count})`);
    } catch (err) {
      this.report.post({ type: 'error', message: `The report could not be read: ${(err as Error).message}` });
      this.reportError('Opening the report', err);
    }
  }

  private async pickRun(title: string): Promise<RunSummaryWire | undefined> {
    if (this.runs.length === 0) {
      void vscode.window.showInformationMessage('FTTL: no runs yet. Extract features and train a head first.');
      return undefined;
    }
    const best = this.bestRun();
    const items = [...this.runs].reverse().map((r) => ({ label: this.runLabel(r), description: r.id === best?.id ? 'best' : '', detail: r.id, run: r }));
    return (await vscode.window.showQuickPick(items, { title }))?.run;
  }

  async compareRuns(runIds?: string[]): Promise<void> {
    await this.refreshRuns();
    let chosen = runIds ? this.runs.filter((r) => runIds.includes(r.id)) : undefined;
    if (!chosen) {
      if (this.runs.length === 0) return void vscode.window.showInformationMessage('FTTL: no runs to compare yet.');
      const picks = await vscode.window.showQuickPick(
        [...this.runs].reverse().map((r) => ({ label: this.runLabel(r), detail: r.id, picked: true, run: r })),
        { title: 'FTTL: compare runs', canPickMany: true },
      );
      if (!picks?.length) return;
      chosen = picks.map((p) => p.run);
    }
    try {
      const { rows } = await this.call('compare', { ...this.workspaceParams(), runDirs: chosen.map((r) => r.dir) });
      await this.report.show('FTTL — Compare runs');
      this.reportRunDir = undefined;
      this.report.post({ type: 'comparison', rows });
      this.log(`Compared ${rows.length} runs:\n${rows.map((r) => `  ${r.model.padEnd(48)} acc ${r.accuracy.toFixed(3)}  κ ${r.kappa.toFixed(3)}  ${r.id}`).join('\n')}`);
    } catch (err) {
      this.reportError('Comparing runs', err);
    }
  }

  // ---- dataset, features, training ---------------------------------------------------------

  async selectDataset(uri?: vscode.Uri): Promise<void> {
    let target = uri?.fsPath;
    if (!target) {
      const picked = await vscode.window.showOpenDialog({
        title: 'FTTL: dataset folder (one sub-folder per class) or a CSV of image,level',
        canSelectFolders: true,
        canSelectFiles: true,
        canSelectMany: false,
        defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
        openLabel: 'Use as Dataset',
      });
      target = picked?.[0]?.fsPath;
      if (!target) return;
    }
    try {
      const scan = await this.call('scanDataset', { source: target });
      await this.context.workspaceState.update(DATASET_KEY, target);
      const counts = scan.classes.map((c, i) => `${c} ${scan.counts[i]}`).join(', ');
      this.log(`Dataset: ${target} — ${scan.classes.length} classes, ${scan.total} images (${counts})${scan.skipped.length ? `; ${scan.skipped.length} skipped` : ''}`);
      void vscode.window.showInformationMessage(`FTTL dataset: ${basename(target)} — ${scan.classes.length} classes, ${scan.total} images (${counts}).`);
    } catch (err) {
      this.reportError(`Using ${basename(target)} as the dataset`, err);
    }
    this.postRuns();
  }

  private async requireDataset(): Promise<string | undefined> {
    if (this.dataset) return this.dataset;
    const choice = await vscode.window.showWarningMessage('FTTL: no dataset selected yet.', 'Select Dataset Folder…');
    if (choice) await this.selectDataset();
    return this.dataset;
  }

  private dataParams(train: string) {
    const s = this.settings();
    return {
      ...this.workspaceParams(),
      train,
      backbone: s.backbone,
      resizeMode: s.resizeMode,
      seed: s.seed,
      testFraction: s.testFraction,
      valFraction: s.valFraction,
      batchSize: s.batchSize,
    };
  }

  async extractFeatures(): Promise<void> {
    if (!this.trusted('Feature extraction')) return;
    const train = await this.requireDataset();
    if (!train) return;
    const params = this.dataParams(train);
    this.log(`Extract features: dataset ${train}, backbone ${params.backbone}, batch ${params.batchSize}, seed ${params.seed}`);
    const r = await this.runJob('Extracting features', (h) => this.client.request('extract', params, h));
    if (!r) return;
    const summary = `${r.images} images → ${r.dim}-d features (${r.backboneName}, ${r.layer}/${r.pooling}): ${r.extracted} computed, ${r.fromCache} from cache in ${r.seconds.toFixed(1)} s; splits train ${r.counts.train} / val ${r.counts.val} / test ${r.counts.test}`;
    this.log(summary);
    for (const s of r.skipped) this.log(`  skipped ${s.path}: ${s.reason}`);
    void vscode.window.showInformationMessage(`FTTL: features ready — ${summary}${r.skipped.length ? ` (${r.skipped.length} unreadable files skipped; see the FTTL output)` : ''}.`);
  }

  async trainHead(kindArg?: unknown): Promise<void> {
    if (!this.trusted('Training')) return;
    let kind = HEAD_CHOICES.find((h) => h.kind === kindArg)?.kind;
    const s = this.settings();
    if (!kind) {
      type Item = vscode.QuickPickItem & { headKind?: HeadKind; edit?: boolean };
      const items: Item[] = [
        ...HEAD_CHOICES.map((h) => {
          const overrides = Object.keys(s.head[h.kind]).length ? ` · your settings: ${JSON.stringify(s.head[h.kind])}` : '';
          return { label: h.label, description: h.kind === 'mlp1' ? "the seed's default" : undefined, detail: h.detail + overrides, headKind: h.kind };
        }),
        { label: '$(gear) Edit head settings…', detail: 'fttl.head.lr / fttl.head.mlp1 / fttl.head.mlp2: epochs, learning rate, optimizer, class weights, early stopping…', edit: true },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'FTTL: train a head on the extracted features' });
      if (!pick) return;
      if (pick.edit) {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'fttl.head');
        return;
      }
      kind = pick.headKind!;
    }
    const train = await this.requireDataset();
    if (!train) return;
    const choice = HEAD_CHOICES.find((h) => h.kind === kind)!;
    const params = { ...this.dataParams(train), head: { ...s.head[kind], kind } };
    this.log(`Train ${choice.label}: dataset ${train}, backbone ${params.backbone}, head ${JSON.stringify(params.head)}`);
    await this.trainWithLiveCurves(choice.label, `Training ${choice.label} · ${params.backbone}`, (h) => this.client.request('train', params, h));
  }

  /** A training job with its curves drawn live in the report panel, which then shows the new run's report. */
  private async trainWithLiveCurves(
    label: string,
    liveTitle: string,
    request: (h: { onProgress: (p: ProgressEvent) => void; onEpoch: (e: EpochEvent) => void; signal: AbortSignal }) => Promise<{ run: RunSummaryWire }>,
  ): Promise<void> {
    if (this.job) {
      void vscode.window.showWarningMessage(`FTTL is busy: ${this.job.label}. Wait for it to finish or cancel it.`);
      return;
    }
    this.liveEpochs = [];
    this.liveTitle = liveTitle;
    await this.report.show(`FTTL — ${liveTitle}`, true);
    this.reportRunDir = undefined;
    const live = (state: 'running' | 'done' | 'failed' | 'cancelled', message?: string) =>
      this.report.visible && this.liveTitle && this.report.post({ type: 'live', title: this.liveTitle, epochs: this.liveEpochs, state, message });
    live('running', 'Preparing features…');
    let lastPost = 0;
    const r = await this.runJob(`Training ${label}`, request, {
      onEpoch: (e) => {
        this.liveEpochs.push(e);
        if (Date.now() - lastPost > 150 || e.epoch === e.total) {
          lastPost = Date.now();
          live('running');
        }
      },
    });
    if (!r) {
      live('failed', 'Training did not finish (see the notification and the FTTL output).');
      this.liveTitle = '';
      return;
    }
    const title = this.liveTitle;
    this.liveTitle = '';
    await this.refreshRuns();
    const run = r.run;
    this.log(`Run ${run.id}: ${run.model} — accuracy ${run.accuracy.toFixed(4)}, kappa quadratic ${run.kappa.toFixed(4)}; saved in ${run.dir}`);
    if (this.report.visible && title) {
      await this.report.show(`FTTL Report — ${run.model}`, true);
      await this.loadReport(run.dir);
    }
    void vscode.window.showInformationMessage(`FTTL: trained ${run.model} — accuracy ${run.accuracy.toFixed(3)}, quadratic kappa ${run.kappa.toFixed(3)}.`, 'Open Report').then((c) => {
      if (c) void this.openReport(run.id);
    });
  }

  async finetune(): Promise<void> {
    if (!this.trusted('Fine-tuning')) return;
    const train = await this.requireDataset();
    if (!train) return;
    await this.refreshRuns();
    const transfer = this.runs.filter((r) => r.kind === 'transfer');
    const bestTransfer = [...transfer].sort((a, b) => b.kappa - a.kappa || b.accuracy - a.accuracy)[0];
    type Item = vscode.QuickPickItem & { init: 'learned' | 'random'; head?: HeadKind; from?: RunSummaryWire };
    const items: Item[] = [
      ...[...transfer].reverse().map((r) => ({
        label: `Learned head: ${r.model}`,
        description: r.id === bestTransfer?.id ? 'best transfer run' : undefined,
        detail: `FT#2 — start from this run's trained head (acc ${r.accuracy.toFixed(3)}, κ ${r.kappa.toFixed(3)}) · ${r.id}`,
        init: 'learned' as const,
        from: r,
      })),
      ...HEAD_CHOICES.map((h) => ({ label: `Random head: ${h.label}`, detail: `FT#1 — a new ${h.label} head from random weights`, init: 'random' as const, head: h.kind })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'FTTL: fine-tune the backbone\'s last block — head initialisation' });
    if (!pick) return;
    const s = this.settings();
    const params = { ...this.dataParams(train), headInit: pick.init, head: pick.head, headFrom: pick.from?.dir, options: s.finetune };
    this.log(`Fine-tune (${pick.init === 'learned' ? `head from ${pick.from!.id}` : `random ${pick.head} head`}): dataset ${train}, backbone ${params.backbone}, options ${JSON.stringify(s.finetune)}`);
    await this.trainWithLiveCurves(`fine-tune (${pick.init} head)`, `Fine-tuning · ${pick.init === 'learned' ? pick.from!.model : pick.label}`, (h) => this.client.request('finetune', params, h));
  }

  async evaluate(): Promise<void> {
    if (!this.trusted('Evaluation')) return;
    await this.refreshRuns();
    const run = await this.pickRun('FTTL: evaluate which run on a test set?');
    if (!run) return;
    const picked = await vscode.window.showOpenDialog({ title: 'FTTL: labelled test images (class sub-folders or a CSV)', canSelectFolders: true, canSelectFiles: true, openLabel: 'Evaluate' });
    const test = picked?.[0]?.fsPath;
    if (!test) return;
    const r = await this.runJob(`Evaluating ${run.model}`, (h) => this.client.request('evaluate', { ...this.workspaceParams(), runDir: run.dir, test, batchSize: this.settings().batchSize }, h));
    if (!r) return;
    const line = `${run.model} on ${test}: accuracy ${r.accuracy.toFixed(3)}, kappa quadratic ${r.kappa.quadratic.toFixed(3)} / linear ${r.kappa.linear.toFixed(3)} / unweighted ${r.kappa.unweighted.toFixed(3)}, ROC AUC ${r.auc === null ? '—' : r.auc.toFixed(3)} (n=${r.count})`;
    this.log(line);
    this.log(`  confusion matrix (rows true ${r.classes.join(', ')}): ${JSON.stringify(r.confusionMatrix)}`);
    void vscode.window.showInformationMessage(`FTTL: ${line}`);
  }

  // ---- images ---------------------------------------------------------------------------

  private async pickImages(many: boolean): Promise<string[] | undefined> {
    const picked = await vscode.window.showOpenDialog({
      title: 'FTTL: image',
      canSelectMany: many,
      canSelectFiles: true,
      filters: { Images: IMAGE_EXTENSIONS.map((e) => e.slice(1)) },
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    return picked?.map((u) => u.fsPath);
  }

  /** From the explorer: (clicked, all selected); from the palette: a file picker. */
  async classifyImages(uri?: vscode.Uri, uris?: vscode.Uri[]): Promise<void> {
    if (!this.trusted('Classification')) return;
    let images = (uris?.length ? uris : uri ? [uri] : []).map((u) => u.fsPath);
    if (images.length === 0) {
      const active = vscode.window.activeTextEditor?.document.uri;
      images = (await this.pickImages(true)) ?? [];
      if (images.length === 0 && active) images = [active.fsPath];
    }
    const notImages = images.filter((p) => !IMAGE_EXTENSIONS.includes(extname(p).toLowerCase()));
    images = images.filter((p) => IMAGE_EXTENSIONS.includes(extname(p).toLowerCase()));
    if (notImages.length) void vscode.window.showWarningMessage(`FTTL: not an image file, left out: ${notImages.map((p) => basename(p)).join(', ')}`);
    if (images.length === 0) return;
    const run = await this.classificationRun();
    if (!run) return void vscode.window.showErrorMessage('FTTL: there is no trained run to classify with yet. Extract features and train a head first.');
    this.log(`Classify ${images.length} image(s) with ${run.model} (${run.id})`);
    const r = await this.runJob(`Classifying ${images.length === 1 ? basename(images[0]!) : `${images.length} images`}`, (h) =>
      this.client.request('classify', { ...this.workspaceParams(), runDir: run.dir, images, topK: this.settings().topK, gradcam: true }, h),
    );
    if (!r) return;
    for (const c of r.results) {
      if (c.error) this.log(`  ${c.path}: ${c.error.message}`);
      else this.log(`  ${c.path}: ${c.top!.map((t) => `${t.className} ${(t.probability * 100).toFixed(1)}%`).join(', ')}`);
    }
    await this.classify.show(`FTTL — Classified with ${run.model}`);
    this.classify.post({ type: 'classification', runId: run.id, classes: r.classes, results: r.results });
    const failed = r.results.filter((c) => c.error);
    if (failed.length) {
      void vscode.window.showWarningMessage(
        `FTTL: ${failed.length} of ${r.results.length} file(s) could not be classified — ${failed.map((f) => `${basename(f.path)}: ${f.error!.message.replace(`${f.path}: `, '')}`).join('; ')}`,
      );
    }
  }

  async showActivations(uri?: vscode.Uri): Promise<void> {
    if (!this.trusted('The activations view')) return;
    if (uri && IMAGE_EXTENSIONS.includes(extname(uri.fsPath).toLowerCase())) this.activationImage = uri.fsPath;
    await this.activations.show(`FTTL — Activations · ${this.settings().backbone}`);
    await this.postLayers();
    if (this.activationImage) await this.showActivationGrid(this.activationLayer);
  }

  private async postLayers(): Promise<void> {
    try {
      const r = await this.call('layers', { ...this.workspaceParams(), backbone: this.settings().backbone });
      if (!this.activationLayer || !r.layers.some((l) => l.name === this.activationLayer)) this.activationLayer = r.defaultLayer;
      this.activations.post({ type: 'layers', backbone: r.backbone, defaultLayer: this.activationLayer, layers: r.layers, image: this.activationImage ?? null });
    } catch (err) {
      this.activations.post({ type: 'error', message: (err as Error).message });
      this.reportError('Loading the backbone', err);
    }
  }

  private async showActivationGrid(layer: string | undefined): Promise<void> {
    if (!layer) return;
    this.activationLayer = layer;
    const image = this.activationImage;
    if (!image) {
      this.activations.post({ type: 'error', message: 'Pick an image first.' });
      return;
    }
    this.activations.post({ type: 'busy', message: `Computing ${layer}…` });
    try {
      const r = await this.call('activations', { ...this.workspaceParams(), backbone: this.settings().backbone, image, layer, maxMaps: 64 });
      this.activations.post({ type: 'activations', ...r, imagePath: image });
      this.log(`Activations of ${basename(image)} at ${layer}: ${r.shape.join('×')}, ${r.shown} maps shown`);
    } catch (err) {
      this.activations.post({ type: 'error', message: (err as Error).message });
      this.log(`Activations failed: ${(err as Error).message}`);
    }
  }

  private async showFilters(layer: string | undefined): Promise<void> {
    try {
      const r = await this.call('filters', { ...this.workspaceParams(), backbone: this.settings().backbone, layer, maxFilters: 64 });
      this.activations.post({ type: 'filters', ...r });
    } catch (err) {
      this.activations.post({ type: 'error', message: (err as Error).message });
    }
  }

  private async showGradcam(): Promise<void> {
    const image = this.activationImage;
    if (!image) return void this.activations.post({ type: 'error', message: 'Pick an image first.' });
    const run = await this.classificationRun();
    if (!run) return void this.activations.post({ type: 'error', message: 'Grad-CAM needs a trained run: train a head first.' });
    this.activations.post({ type: 'busy', message: `Grad-CAM with ${run.model}…` });
    try {
      const r = await this.call('classify', { ...this.workspaceParams(), runDir: run.dir, images: [image], topK: 3, gradcam: true });
      this.activations.post({ type: 'gradcam', result: r.results[0]! });
    } catch (err) {
      this.activations.post({ type: 'error', message: (err as Error).message });
    }
  }

  // ---- backbone and backend ----------------------------------------------------------------

  async chooseBackbone(): Promise<void> {
    type Item = vscode.QuickPickItem & { value?: string; browse?: boolean };
    let builtIns: { name: string; description: string }[] = [];
    try {
      builtIns = (await this.call('backbones', {})).backbones;
    } catch (err) {
      this.log(`Listing backbones failed: ${(err as Error).message}`);
    }
    const current = this.settings().backbone;
    const items: Item[] = [
      ...builtIns.map((b) => ({ label: b.name, description: b.name === current ? 'current' : undefined, detail: b.description, value: b.name })),
      { label: '$(folder-opened) Keras .h5 weights or TF.js model folder…', browse: true },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: `FTTL: backbone (now ${current})`, matchOnDetail: true });
    if (!pick) return;
    let value = pick.value;
    if (pick.browse) {
      if (!this.trusted('Loading a model file')) return;
      const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, filters: { 'Keras weights / TF.js model': ['h5', 'hdf5', 'json'] }, title: 'FTTL: backbone weights' });
      const p = picked?.[0]?.fsPath;
      if (!p) return;
      value = p.endsWith('model.json') ? dirname(p) : p;
    }
    if (!value) return;
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('fttl').update('backbone', value, target);
    this.log(`Backbone set to ${value}`);
    void vscode.window.showInformationMessage(`FTTL: backbone set to ${value}. Extract features again to use it.`);
    this.postRuns();
  }

  async showBackend(): Promise<void> {
    try {
      const b = await this.call('backend', {});
      this.log(`Compute backend: ${b.description}`);
      for (const u of b.unavailable) this.log(`  ${u.name} not available: ${u.reason}`);
      const gpuHint = b.name === 'tensorflow-gpu' ? '' : ' For an NVIDIA GPU: install @tensorflow/tfjs-node-gpu@4.22.0 beside the extension (see the README) and restart.';
      void vscode.window.showInformationMessage(`FTTL compute backend: ${b.description}.${gpuHint}`, 'Show Log').then((c) => {
        if (c) this.out.show(true);
      });
    } catch (err) {
      this.reportError('Starting the compute backend', err);
    }
  }

  /** Cancels the running job, if any (used when the backend setting changes). */
  cancelJob(): void {
    this.job?.cancel.cancel();
  }

  get commands(): Record<string, (...args: unknown[]) => unknown> {
    return {
      'fttl.selectDataset': () => this.selectDataset(),
      'fttl.explorer.useAsDataset': (uri) => this.selectDataset(uri as vscode.Uri | undefined),
      'fttl.explorer.classifyImage': (uri, uris) => this.classifyImages(uri as vscode.Uri | undefined, Array.isArray(uris) ? (uris as vscode.Uri[]) : undefined),
      'fttl.explorer.showActivations': (uri) => this.showActivations(uri as vscode.Uri | undefined),
      'fttl.extractFeatures': () => this.extractFeatures(),
      'fttl.trainHead': (kind) => this.trainHead(kind),
      'fttl.finetune': () => this.finetune(),
      'fttl.evaluate': () => this.evaluate(),
      'fttl.classifyImage': (uri, uris) => this.classifyImages(uri as vscode.Uri | undefined, Array.isArray(uris) ? (uris as vscode.Uri[]) : undefined),
      'fttl.showActivations': (uri) => this.showActivations(uri as vscode.Uri | undefined),
      'fttl.compareRuns': () => this.compareRuns(),
      'fttl.chooseBackbone': () => this.chooseBackbone(),
      'fttl.showBackend': () => this.showBackend(),
      'fttl.openReport': (runId) => this.openReport(typeof runId === 'string' ? runId : undefined),
      'fttl.selectRun': () => this.selectRun(),
      'fttl.refreshRuns': () => this.refreshRuns(),
      'fttl.showLog': () => this.out.show(),
    };
  }
}
