import type { FttlErrorKind } from '../engine/util/errors.js';

/** Exit codes scripts can rely on (also listed in `fttl --help` and the README). */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  badInput: 3,
  weights: 4,
  network: 5,
  cancelled: 130,
} as const;

export function exitCodeFor(kind: FttlErrorKind): number {
  switch (kind) {
    case 'bad-input':
      return EXIT.badInput;
    case 'weights':
      return EXIT.weights;
    case 'network':
      return EXIT.network;
    case 'cancelled':
      return EXIT.cancelled;
    case 'internal':
      return EXIT.internal;
  }
}
