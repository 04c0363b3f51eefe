/** Progress of a long step, reported to a CLI progress bar or the extension's notification. */
export interface Progress {
  /** What is happening, e.g. "extract features", "train mlp1". */
  phase: string;
  done: number;
  total: number;
  /** Optional short detail, e.g. "epoch 3/50 loss 0.912". */
  message?: string;
}
export type ProgressCallback = (p: Progress) => void;
