// The worker's side of the protocol: receives requests, checks them, runs the handler with a
// cancellation signal and a progress sink, and answers with a result or a typed error.
import type { z } from 'zod';
import {
  PROTOCOL_VERSION,
  ERROR_KINDS,
  ProtocolError,
  describeZodError,
  parseParams,
  toWorkerSchema,
  type EpochEvent,
  type ErrorKind,
  type FromWorker,
  type MethodName,
  type Methods,
  type ProgressEvent,
  type Result,
  type WireError,
} from '../shared/protocol.js';

/** What a handler gets besides its params. */
export interface HandlerContext {
  signal: AbortSignal;
  progress(p: ProgressEvent): void;
  epoch(e: EpochEvent): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

export type Handler<M extends MethodName> = (params: z.output<Methods[M]['params']>, ctx: HandlerContext) => Promise<Result<M>>;
export type Handlers = { [M in MethodName]?: Handler<M> };

/** The subset of MessagePort the server needs (parentPort in a worker; a fake in tests). */
export interface Port {
  on(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(value: unknown): void;
}

/** Maps anything thrown to the wire error: FttlError kinds are kept, everything else is 'internal'. */
export function toWireError(err: unknown): WireError {
  if (err instanceof ProtocolError) return { kind: 'protocol', message: err.message };
  const e = err as { kind?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : String(err);
  const kind = typeof e?.kind === 'string' && (ERROR_KINDS as readonly string[]).includes(e.kind) ? (e.kind as ErrorKind) : 'internal';
  return { kind, message };
}

export function serve(port: Port, handlers: Handlers): void {
  const running = new Map<number, AbortController>();
  const send = (m: FromWorker) => port.postMessage(m);
  const log = (level: 'info' | 'warn' | 'error', message: string) => send({ type: 'log', level, message });

  port.on('message', (raw) => {
    const parsed = toWorkerSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : undefined;
      const message = `Malformed message from the host ignored: ${describeZodError(parsed.error)}`;
      log('warn', message);
      if (id !== undefined) send({ type: 'error', id, error: { kind: 'protocol', message } });
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'cancel') {
      running.get(msg.id)?.abort();
      return;
    }
    const { id, method } = msg;
    const controller = new AbortController();
    running.set(id, controller);
    void (async () => {
      try {
        const handler = handlers[method] as Handler<MethodName> | undefined;
        if (!handler) throw new ProtocolError(`The engine worker does not serve "${method}".`);
        const params = parseParams(method, msg.params);
        const ctx: HandlerContext = {
          signal: controller.signal,
          progress: (progress) => send({ type: 'progress', id, progress }),
          epoch: (epoch) => send({ type: 'epoch', id, epoch }),
          log,
        };
        const result = await handler(params as never, ctx);
        send({ type: 'result', id, result });
      } catch (err) {
        const error = toWireError(err);
        if (error.kind === 'internal' && err instanceof Error && err.stack) log('error', `${method} failed: ${err.stack}`);
        send({ type: 'error', id, error });
      } finally {
        running.delete(id);
      }
    })();
  });
  send({ type: 'ready', protocol: PROTOCOL_VERSION, pid: process.pid });
}

export type { Result };
