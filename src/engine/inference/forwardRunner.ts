/**
 * Every forward pass FTTL makes (feature extraction, classification) goes through this interface,
 * so a faster inference runtime can replace TensorFlow.js for it without touching the callers;
 * tfjs stays the training engine.
 */
export interface ForwardRunner {
  /** Which runtime computes it, for run records (e.g. "tfjs-wasm"). */
  readonly runtime: string;
  /** Square input side in pixels the model expects. */
  readonly inputSize: number;
  /** Number of float32 values the model outputs per image. */
  readonly outputSize: number;
  /**
   * Runs `count` images given as raw RGB pixels (0..255, NHWC, float32, inputSize² × 3 each);
   * the runner applies the model's own preprocessing. Returns count × outputSize values.
   */
  run(pixels: Float32Array, count: number): Promise<Float32Array>;
  /** Frees the runner's memory; it must not be used afterwards. */
  dispose(): void;
}
