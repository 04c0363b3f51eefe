// Dispatches messages arriving from a webview: each is checked against the shared schema first;
// an unknown or malformed message is ignored and logged, never acted upon. Free of `vscode`.
import { parseFromWebview, type FromWebview } from '../shared/webviewMessages.js';

export type WebviewHandlers = { [T in FromWebview['type']]?: (message: Extract<FromWebview, { type: T }>) => void | Promise<void> };

export function routeWebviewMessage(source: string, raw: unknown, handlers: WebviewHandlers, log: (line: string) => void): boolean {
  const parsed = parseFromWebview(raw);
  if (!parsed.ok) {
    log(`[${source}] ignored a webview message: ${parsed.reason}`);
    return false;
  }
  const message = parsed.message;
  const handler = handlers[message.type] as ((m: FromWebview) => void | Promise<void>) | undefined;
  if (!handler) {
    log(`[${source}] ignored a "${message.type}" message: this view does not handle it`);
    return false;
  }
  Promise.resolve()
    .then(() => handler(message))
    .catch((err: unknown) => log(`[${source}] handling "${message.type}" failed: ${(err as Error).message ?? String(err)}`));
  return true;
}
