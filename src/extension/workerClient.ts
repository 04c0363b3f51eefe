// The extension host's side of the engine protocol: one long-lived worker_threads worker,
// requests with ids, progress/epoch events, cancellation, typed errors, and restart after a crash.
// Free of `vscode` so it is unit-tested with a real worker.
import { Worker } from 'node:worker_threads';
import {
  PROTOCOL_VERSION,
  WorkerError,
  describeZodError,
  fromWorkerSchema,
  parseParams,
  parseResult,
  type EpochEvent,
  type MethodName,
  type Params,
  type ProgressEvent,
  type Result,
  type ToWorker,
} from '../shared/protocol.js';

export interface WorkerClientOptions {
  /** The worker script (the bundled dist/worker.js, or a test worker). */
  script: string | URL;
  /** Data for each new worker (a function is called at every start, e.g. to read current settings). */
  workerData?: unknown | (() => unknown);
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  /** Worker log lines and protocol warnings. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Called when the worker dies while it was in use (it restarts on the next request). */
  onCrash?: (error: WorkerError) => void;
  /** After a cancel, how long to wait for the worker to stop before terminating it (ms). */
  cancelGraceMs?: number;
  /** How long to wait for a new worker's 'ready' (ms). */
  startTimeoutMs?: number;
}

export interface RequestOptions {
  onProgress?: (p: ProgressEvent) => void;
  onEpoch?: (e: EpochEvent) => void;
  signal?: AbortSignal;
}

interface Pending {
  method: MethodName;
  resolve(value: unknown): void;
  reject(err: WorkerError): void;
  opts: RequestOptions;
  cancelTimer?: NodeJS.Timeout;
}

export class WorkerClient {
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;
  /** How many workers were started (1 + restarts); for tests and the output channel. */
  starts = 0;

  constructor(private readonly opts: WorkerClientOptions) {}

  get busy(): number {
    return this.pending.size;
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Sends one request; resolves with the checked result or rejects with a WorkerError. */
  async request<M extends MethodName>(method: M, params: Params<M>, opts: RequestOptions = {}): Promise<Result<M>> {
    if (this.disposed) throw new WorkerError('internal', 'The FTTL engine has been shut down.');
    try {
      parseParams(method, params);
    } catch (err) {
      throw new WorkerError('protocol', (err as Error).message);
    }
    if (opts.signal?.aborted) throw new WorkerError('cancelled', 'Cancelled by the user.');
    const worker = await this.start();
    if (opts.signal?.aborted) throw new WorkerError('cancelled', 'Cancelled by the user.');
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const entry: Pending = {
        method,
        resolve: (v) => resolve(v as Result<M>),
        reject,
        opts,
      };
      this.pending.set(id, entry);
      const onAbort = () => this.cancel(id);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => opts.signal?.removeEventListener('abort', onAbort);
      entry.resolve = (v) => {
        cleanup();
        resolve(v as Result<M>);
      };
      entry.reject = (e) => {
        cleanup();
        reject(e);
      };
      try {
        this.post(worker, { type: 'request', id, method, params });
      } catch (err) {
        this.take(id);
        entry.reject(new WorkerError('protocol', `"${method}" could not be sent to the engine: ${(err as Error).message}`));
      }
    });
  }

  /** Asks the worker to stop request `id`; a worker that does not stop in time is terminated. */
  private cancel(id: number): void {
    const entry = this.pending.get(id);
    if (!entry || !this.worker) return;
    this.post(this.worker, { type: 'cancel', id });
    const grace = this.opts.cancelGraceMs ?? 15000;
    entry.cancelTimer = setTimeout(() => {
      if (!this.pending.has(id)) return;
      this.opts.log?.('warn', `The engine did not stop "${entry.method}" within ${grace} ms of Cancel; restarting it.`);
      this.pending.delete(id);
      entry.reject(new WorkerError('cancelled', 'Cancelled by the user.'));
      void this.restart();
    }, grace);
  }

  private post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  private start(): Promise<Worker> {
    if (this.ready) return this.ready;
    const started = new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(this.opts.script, {
        workerData: typeof this.opts.workerData === 'function' ? (this.opts.workerData as () => unknown)() : this.opts.workerData,
        env: this.opts.env ?? process.env,
        execArgv: this.opts.execArgv,
        stdout: false,
        stderr: false,
      });
      this.starts++;
      this.worker = worker;
      let isReady = false;
      const timer = setTimeout(() => {
        if (isReady) return;
        reject(new WorkerError('crashed', `The FTTL engine did not start within ${(this.opts.startTimeoutMs ?? 60000) / 1000} s.`));
        void worker.terminate();
      }, this.opts.startTimeoutMs ?? 60000);
      worker.on('message', (raw: unknown) => {
        const parsed = fromWorkerSchema.safeParse(raw);
        if (!parsed.success) {
          this.opts.log?.('warn', `Ignored a malformed message from the engine: ${describeZodError(parsed.error)}`);
          return;
        }
        const msg = parsed.data;
        switch (msg.type) {
          case 'ready':
            if (msg.protocol !== PROTOCOL_VERSION) {
              reject(new WorkerError('protocol', `The engine speaks protocol ${msg.protocol}, the extension ${PROTOCOL_VERSION}: reinstall the extension.`));
              void worker.terminate();
              return;
            }
            isReady = true;
            clearTimeout(timer);
            resolve(worker);
            return;
          case 'log':
            this.opts.log?.(msg.level, msg.message);
            return;
          case 'progress':
            this.pending.get(msg.id)?.opts.onProgress?.(msg.progress);
            return;
          case 'epoch':
            this.pending.get(msg.id)?.opts.onEpoch?.(msg.epoch);
            return;
          case 'result': {
            const entry = this.take(msg.id);
            if (!entry) return;
            try {
              entry.resolve(parseResult(entry.method, msg.result));
            } catch (err) {
              entry.reject(new WorkerError('protocol', (err as Error).message));
            }
            return;
          }
          case 'error': {
            const entry = this.take(msg.id);
            entry?.reject(new WorkerError(msg.error.kind, msg.error.message));
            return;
          }
        }
      });
      const died = (why: string) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        clearTimeout(timer);
        const error = new WorkerError('crashed', `The FTTL engine stopped unexpectedly (${why}); it will restart on the next request.`);
        if (!isReady) reject(error);
        const hadWork = this.pending.size > 0;
        for (const [id, entry] of this.pending) {
          this.take(id);
          entry.reject(error);
        }
        if (!this.disposed && (hadWork || !isReady)) this.opts.onCrash?.(error);
      };
      worker.on('error', (err) => died(err.message));
      worker.on('exit', (code) => died(`exit code ${code}`));
    });
    this.ready = started;
    started.catch(() => {
      if (this.ready === started) this.ready = undefined;
    });
    return started;
  }

  private take(id: number): Pending | undefined {
    const entry = this.pending.get(id);
    if (!entry) return undefined;
    this.pending.delete(id);
    if (entry.cancelTimer) clearTimeout(entry.cancelTimer);
    return entry;
  }

  /** Stops the worker (pending requests fail as cancelled); the next request starts a new one. */
  async restart(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    for (const [id, entry] of this.pending) {
      this.take(id);
      entry.reject(new WorkerError('cancelled', 'The FTTL engine was restarted.'));
    }
    await worker?.terminate();
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.restart();
  }
}
