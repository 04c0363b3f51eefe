// Principal component analysis in Float64, for a few components and deterministic output. (No linear
// algebra package is a declared dependency of FTTL; this needs only a symmetric eigen-solver.)
import { FttlError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** Row-major rows × dim values (FeatureMatrix's shape; any numeric array). */
export interface DataMatrix {
  data: ArrayLike<number>;
  rows: number;
  dim: number;
}

export interface PcaResult {
  /** Component i is components[i], a unit vector of length dim. */
  components: Float64Array[];
  /** Variance along each component (eigenvalues of the sample covariance, divided by rows − 1). */
  explainedVariance: number[];
  /** explainedVariance over the total variance (0 when the data has none). */
  explainedVarianceRatio: number[];
  mean: Float64Array;
  /** rows × k, row-major: (x − mean) · component. */
  scores: Float64Array;
}

/**
 * The first `k` principal components of `x` (rows are samples). The eigen-problem is solved on the
 * smaller of the covariance (dim × dim) and the Gram matrix (rows × rows): cyclic Jacobi when that is
 * at most 256 wide, else subspace iteration (seeded start, Rayleigh–Ritz) to a residual of 1e-10·λ₁.
 * Signs follow scikit-learn (≥ 1.5): each component's entry of largest magnitude is positive (the
 * first such entry on ties), so the result does not depend on the solver's start.
 */
export function pca(x: DataMatrix, k = 2): PcaResult {
  const { rows: n, dim: d, data } = x;
  if (!Number.isInteger(k) || k < 1) throw new FttlError('bad-input', `PCA needs at least one component, got ${k}.`);
  if (data.length !== n * d) throw new FttlError('internal', `pca: ${data.length} values for ${n}×${d}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += data[i * d + j]!;
  if (n > 0) for (let j = 0; j < d; j++) mean[j]! /= n;
  const xc = (i: number, j: number) => data[i * d + j]! - mean[j]!;
  const denom = Math.max(1, n - 1);

  const useGram = n < d;
  const m = useGram ? n : d;
  // M = Xcᵀ Xc (dim × dim) or Xc Xcᵀ (rows × rows); both have the covariance's eigenvalues × (n − 1).
  const M = new Float64Array(m * m);
  if (useGram) {
    for (let a = 0; a < n; a++)
      for (let b = a; b < n; b++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += xc(a, j) * xc(b, j);
        M[a * n + b] = s;
        M[b * n + a] = s;
      }
  } else {
    const row = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) row[j] = xc(i, j);
      for (let a = 0; a < d; a++) {
        const ra = row[a]!;
        if (ra === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) M[base + b]! += ra * row[b]!;
      }
    }
    for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) M[b * d + a] = M[a * d + b]!;
  }
  let total = 0;
  for (let a = 0; a < m; a++) total += M[a * m + a]!;

  const kk = Math.min(k, m);
  const { values, vectors } = m <= 256 ? jacobiTop(M, m, kk) : subspaceTop(M, m, kk);

  const components: Float64Array[] = [];
  const explainedVariance: number[] = [];
  for (let c = 0; c < k; c++) {
    const comp = new Float64Array(d);
    const lambda = c < kk ? Math.max(0, values[c]!) : 0;
    if (c < kk) {
      const v = vectors[c]!;
      if (useGram) {
        // v is an eigenvector of Xc Xcᵀ: the component is Xcᵀ v / ‖Xcᵀ v‖.
        for (let i = 0; i < n; i++) {
          const vi = v[i]!;
          if (vi !== 0) for (let j = 0; j < d; j++) comp[j]! += xc(i, j) * vi;
        }
        normalise(comp);
      } else {
        comp.set(v);
      }
    }
    flipSign(comp);
    components.push(comp);
    explainedVariance.push(lambda / denom);
  }
  const scores = new Float64Array(n * k);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      const comp = components[c]!;
      let s = 0;
      for (let j = 0; j < d; j++) s += xc(i, j) * comp[j]!;
      scores[i * k + c] = s;
    }
  return {
    components,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (total > 0 ? (v * denom) / total : 0)),
    mean,
    scores,
  };
}

function normalise(v: Float64Array): void {
  let s = 0;
  for (const x of v) s += x * x;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
}

/** scikit-learn's svd_flip (u_based_decision=False): the largest-|value| entry is made positive. */
function flipSign(v: Float64Array): void {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[best]!)) best = i;
  if (v.length && v[best]! < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i]! || 0;
}

interface Eigen {
  values: number[];
  vectors: Float64Array[];
}

/** All eigenpairs of a symmetric m × m matrix (cyclic Jacobi rotations), largest `k` returned, descending. */
function jacobiTop(source: Float64Array, m: number, k: number): Eigen {
  const A = Float64Array.from(source);
  const V = new Float64Array(m * m);
  for (let i = 0; i < m; i++) V[i * m + i] = 1;
  let scale = 0;
  for (let i = 0; i < m * m; i++) scale += A[i]! * A[i]!;
  const tol = 1e-30 * Math.max(scale, Number.MIN_VALUE);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += A[p * m + q]! ** 2;
    if (off <= tol) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q]!;
        if (apq === 0) continue;
        const app = A[p * m + p]!;
        const aqq = A[q * m + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < m; r++) {
          const arp = A[r * m + p]!;
          const arq = A[r * m + q]!;
          A[r * m + p] = c * arp - s * arq;
          A[r * m + q] = s * arp + c * arq;
        }
        for (let r = 0; r < m; r++) {
          const apr = A[p * m + r]!;
          const aqr = A[q * m + r]!;
          A[p * m + r] = c * apr - s * aqr;
          A[q * m + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < m; r++) {
          const vrp = V[r * m + p]!;
          const vrq = V[r * m + q]!;
          V[r * m + p] = c * vrp - s * vrq;
          V[r * m + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => A[b * m + b]! - A[a * m + a]! || a - b);
  const top = order.slice(0, k);
  return {
    values: top.map((i) => A[i * m + i]!),
    vectors: top.map((i) => {
      const v = new Float64Array(m);
      for (let r = 0; r < m; r++) v[r] = V[r * m + i]!;
      return v;
    }),
  };
}

/** The top `k` eigenpairs of a large symmetric positive semi-definite matrix by subspace iteration. */
function subspaceTop(M: Float64Array, m: number, k: number): Eigen {
  const p = Math.min(m, k + 8);
  const rng = new Rng(0x9ca);
  let Q: Float64Array[] = Array.from({ length: p }, () => Float64Array.from({ length: m }, () => rng.next() - 0.5));
  orthonormalise(Q);
  const mul = (v: Float64Array) => {
    const out = new Float64Array(m);
    for (let r = 0; r < m; r++) {
      let s = 0;
      const base = r * m;
      for (let c = 0; c < m; c++) s += M[base + c]! * v[c]!;
      out[r] = s;
    }
    return out;
  };
  let result: Eigen = { values: [], vectors: [] };
  for (let iter = 0; iter < 1000; iter++) {
    const Z = Q.map(mul);
    // Rayleigh–Ritz: the small p × p problem Qᵀ M Q, solved exactly.
    const H = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) H[a * p + b] = dot(Q[a]!, Z[b]!);
    const small = jacobiTop(H, p, p);
    const ritz = small.vectors.map((y) => combine(Q, y, m));
    const mRitz = small.vectors.map((y) => combine(Z, y, m));
    result = { values: small.values.slice(0, k), vectors: ritz.slice(0, k) };
    const lambda1 = Math.abs(small.values[0]!) || 1;
    let worst = 0;
    for (let i = 0; i < k; i++) {
      let r = 0;
      const mv = mRitz[i]!;
      const v = ritz[i]!;
      for (let j = 0; j < m; j++) r += (mv[j]! - small.values[i]! * v[j]!) ** 2;
      worst = Math.max(worst, Math.sqrt(r));
    }
    if (worst <= 1e-10 * lambda1) break;
    Q = mRitz;
    orthonormalise(Q);
  }
  return result;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function combine(basis: Float64Array[], y: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m);
  basis.forEach((q, i) => {
    const w = y[i]!;
    for (let j = 0; j < m; j++) out[j]! += w * q[j]!;
  });
  return out;
}

/** Modified Gram–Schmidt in place, twice for stability; a vector that vanishes is replaced by the next unit basis direction that does not. */
function orthonormalise(Q: Float64Array[]): void {
  const project = (v: Float64Array, upTo: number) => {
    for (let pass = 0; pass < 2; pass++)
      for (let j = 0; j < upTo; j++) {
        const c = dot(Q[j]!, v);
        const q = Q[j]!;
        for (let t = 0; t < v.length; t++) v[t]! -= c * q[t]!;
      }
  };
  for (let i = 0; i < Q.length; i++) {
    const v = Q[i]!;
    project(v, i);
    let norm = Math.sqrt(dot(v, v));
    for (let e = 0; !(norm > 1e-12) && e < v.length; e++) {
      v.fill(0);
      v[(i + e) % v.length] = 1;
      project(v, i);
      norm = Math.sqrt(dot(v, v));
    }
    for (let t = 0; t < v.length; t++) v[t]! /= norm;
  }
}
