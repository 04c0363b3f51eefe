// The page's link to whoever shows it: VS Code (postMessage, both ways, checked) or a standalone
// HTML file written by `fttl report --html` (data embedded in the page, nothing to send to).
import { parseToWebview, type FromWebview, type ToWebview } from '../../src/shared/webviewMessages.js';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

export interface Host {
  kind: 'vscode' | 'standalone';
  post(m: FromWebview): void;
  onMessage(listener: (m: ToWebview) => void): void;
}

export function connect(): Host {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    const post = (m: FromWebview) => api.postMessage(m);
    return {
      kind: 'vscode',
      post,
      onMessage(listener) {
        window.addEventListener('message', (e: MessageEvent) => {
          const parsed = parseToWebview(e.data);
          if (!parsed.ok) {
            console.warn(`[fttl webview] ${parsed.reason}`);
            post({ type: 'log', message: `ignored: ${parsed.reason}`.slice(0, 2000) });
            return;
          }
          listener(parsed.message);
        });
      },
    };
  }
  return { kind: 'standalone', post: () => undefined, onMessage: () => undefined };
}
