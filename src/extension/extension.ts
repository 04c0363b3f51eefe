// FTTL's VS Code extension: commands, the side panel, run reports and the activations view,
// over the engine running in one long-lived worker thread (dist/worker.js).
import * as vscode from 'vscode';
import { Controller } from './controller.js';
import { WorkerClient } from './workerClient.js';

let client: WorkerClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const out = vscode.window.createOutputChannel('FTTL');
  context.subscriptions.push(out);
  let controller: Controller | undefined;
  client = new WorkerClient({
    script: vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath,
    workerData: () => ({ backend: vscode.workspace.getConfiguration('fttl').get<string>('backend') ?? 'auto' }),
    log: (level, message) => controller?.log(`${level === 'info' ? '' : `${level}: `}${message}`),
    onCrash: (error) => {
      controller?.log(`engine worker crashed: ${error.message}`);
      void vscode.window.showErrorMessage(`FTTL: ${error.message}`, 'Show Log').then((c) => {
        if (c) out.show(true);
      });
    },
  });
  controller = new Controller(context, client, out);
  context.subscriptions.push(controller, { dispose: () => void client?.dispose() });
  for (const [id, fn] of Object.entries(controller.commands)) context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('fttl.backend')) {
        controller?.log('fttl.backend changed: the engine restarts with it on the next command.');
        controller?.cancelJob();
        void client?.restart();
      }
      if (e.affectsConfiguration('fttl')) void controller?.refreshRuns();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void controller?.refreshRuns()),
  );
  controller.log(`FTTL activated (VS Code ${vscode.version}, ${vscode.env.appName}, node ${process.versions.node}); work folder ${controller.workDir()}`);
}

export async function deactivate(): Promise<void> {
  await client?.dispose();
  client = undefined;
}
