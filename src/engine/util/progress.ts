/** One epoch of an MLP (or one L-BFGS iteration of LR, or one fine-tuning epoch). `epoch` counts from 1. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  seconds: number;
}

/** Progress of a long step, reported to a CLI progress bar or the extension's notification. */
export interface Progress {
  /** What is happening, e.g. "extract features", "train mlp1". */
  phase: string;
  done: number;
  total: number;
  /** Optional short detail, e.g. "epoch 3/50 loss 0.912". For people; never parse it. */
  message?: string;
  /**
   * Set only on the report that closes an epoch: the finished epoch's record, exactly as the run's
   * `history` will hold it, and how many epochs were planned (LR: maxIter; it may stop sooner).
   */
  epoch?: { record: EpochRecord; total: number };
}
export type ProgressCallback = (p: Progress) => void;
