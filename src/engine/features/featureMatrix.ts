/** Feature vectors as one row-major float32 matrix (one row per image). */
export interface FeatureMatrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

/** The rows at `indices`, in that order. */
export function selectRows(m: FeatureMatrix, indices: readonly number[]): FeatureMatrix {
  const data = new Float32Array(indices.length * m.dim);
  indices.forEach((r, i) => data.set(m.data.subarray(r * m.dim, (r + 1) * m.dim), i * m.dim));
  return { data, rows: indices.length, dim: m.dim };
}
