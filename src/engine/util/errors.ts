/** The kinds of failure a user (or a script reading the CLI's exit code) can act on differently. */
export type FttlErrorKind =
  | 'bad-input' // a dataset, image, CSV row or option the user gave is wrong
  | 'weights' // weights file missing, unreadable or not matching the architecture
  | 'cancelled' // the user stopped the run
  | 'network' // a download failed
  | 'internal'; // a bug: anything else

/** An error whose message is written for the user: it says what went wrong and where. */
export class FttlError extends Error {
  readonly kind: FttlErrorKind;
  constructor(kind: FttlErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FttlError';
    this.kind = kind;
  }
}

/** Throws the engine's cancellation error if the signal has fired. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new FttlError('cancelled', 'Cancelled by the user.');
}
