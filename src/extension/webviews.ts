// Webview panels and the side-bar view: HTML with CSP + nonce, resources limited to the bundle,
// typed messages both ways (checked on arrival at either end).
import * as vscode from 'vscode';
import { toWebviewSchema, type ToWebview } from '../shared/webviewMessages.js';
import { routeWebviewMessage, type WebviewHandlers } from './messageRouter.js';
import { makeNonce, webviewHtml, type WebviewKind } from './webviewHtml.js';

export interface WebviewHost {
  extensionUri: vscode.Uri;
  log(line: string): void;
}

/** Sets up a webview: options, HTML, message routing. Returns a typed `post`. */
export function setupWebview(webview: vscode.Webview, kind: WebviewKind, title: string, host: WebviewHost, handlers: WebviewHandlers): { post(m: ToWebview): Thenable<boolean>; dispose(): void } {
  const dist = vscode.Uri.joinPath(host.extensionUri, 'dist');
  webview.options = { enableScripts: true, localResourceRoots: [dist] };
  webview.html = webviewHtml({
    kind,
    title,
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
    styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    nonce: makeNonce(),
  });
  const sub = webview.onDidReceiveMessage((raw: unknown) => routeWebviewMessage(kind, raw, handlers, host.log));
  return {
    post(m: ToWebview) {
      const checked = toWebviewSchema.safeParse(m);
      if (!checked.success) {
        host.log(`[${kind}] not sent: ${m.type} message failed its schema (${checked.error.issues[0]?.message ?? 'invalid'})`);
        return Promise.resolve(false);
      }
      return webview.postMessage(m);
    },
    dispose: () => sub.dispose(),
  };
}

/** A webview panel of one kind, created on demand and reused; `ready` resolves when its script has loaded. */
export class Panel {
  private panel: vscode.WebviewPanel | undefined;
  private channel: ReturnType<typeof setupWebview> | undefined;
  private readyWaiters: (() => void)[] = [];
  private isReady = false;
  /** Called when the user closes the panel. */
  onClose: (() => void) | undefined;

  constructor(
    private readonly kind: WebviewKind,
    private readonly viewType: string,
    private readonly host: WebviewHost,
    private readonly handlers: WebviewHandlers,
  ) {}

  get visible(): boolean {
    return this.panel !== undefined;
  }

  /** Opens (or reveals) the panel; resolves once its script has said `ready`. */
  async show(title: string, preserveFocus = false): Promise<void> {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(undefined, preserveFocus);
    } else {
      const panel = vscode.window.createWebviewPanel(this.viewType, title, { viewColumn: vscode.ViewColumn.Active, preserveFocus }, { enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [vscode.Uri.joinPath(this.host.extensionUri, 'dist')] });
      this.panel = panel;
      this.isReady = false;
      this.channel = setupWebview(panel.webview, this.kind, title, this.host, {
        ...this.handlers,
        ready: async (m) => {
          this.isReady = true;
          for (const w of this.readyWaiters.splice(0)) w();
          await this.handlers.ready?.(m);
        },
      });
      panel.onDidDispose(() => {
        this.channel?.dispose();
        this.panel = undefined;
        this.channel = undefined;
        this.isReady = false;
        this.onClose?.();
      });
    }
    if (!this.isReady) await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
  }

  post(m: ToWebview): void {
    void this.channel?.post(m);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

/** The side bar's runs list (a webview view in FTTL's activity-bar container). */
export class SidebarProvider implements vscode.WebviewViewProvider {
  private channel: ReturnType<typeof setupWebview> | undefined;
  constructor(
    private readonly host: WebviewHost,
    private readonly handlers: WebviewHandlers,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.channel = setupWebview(view.webview, 'sidebar', 'FTTL runs', this.host, this.handlers);
    view.onDidDispose(() => {
      this.channel?.dispose();
      this.channel = undefined;
    });
  }

  post(m: ToWebview): void {
    void this.channel?.post(m);
  }
}
