/**
 * Compact L-BFGS over Float64Array, shaped after scipy's L-BFGS-B as sklearn calls it
 * (m = 10 pairs, maxls = 20, gtol on max|grad|, ftol = 2.2e-9 relative reduction), so that
 * a convex objective stops at the same place within tolerance. No bounds: none are needed here.
 * Written here rather than pulled from npm: the well-kept JS optimisers are either bound-free
 * BFGS with dense Hessians (impossible at 125k parameters) or unmaintained.
 */

export interface Evaluation<E> {
  f: number;
  g: Float64Array;
  /** Whatever the objective computed on the way that the caller wants back (e.g. accuracy). */
  extra: E;
}

export interface LbfgsOptions<E> {
  maxIter: number;
  /** Stop when max_i |g_i| <= gtol (scipy's pgtol; with no bounds the projected gradient is the gradient). */
  gtol: number;
  /** Stop when (f_prev - f) <= ftol * max(|f_prev|, |f|, 1): scipy's factr * eps, 1e7 * 2.2e-16. */
  ftol?: number;
  memory?: number;
  maxLineSearch?: number;
  /** Called after each accepted step and awaited (so a caller can yield to the event loop); may throw (cancellation). */
  onIteration?: (iteration: number, at: Evaluation<E>, x: Float64Array) => void | Promise<void>;
}

export type StopReason = 'gtol' | 'ftol' | 'maxIter' | 'lineSearch';

export interface LbfgsResult<E> {
  x: Float64Array;
  at: Evaluation<E>;
  iterations: number;
  reason: StopReason;
}

/** The objective and its gradient at x; may be computed asynchronously (onnxruntime). */
export type Objective<E> = (x: Float64Array) => Evaluation<E> | Promise<Evaluation<E>>;

export async function minimizeLbfgs<E>(
  fg: Objective<E>,
  x0: Float64Array,
  opts: LbfgsOptions<E>,
): Promise<LbfgsResult<E>> {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? 2.220446049250313e-9;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);

  let x: Float64Array = Float64Array.from(x0);
  let at = await fg(x);
  if (maxAbs(at.g) <= opts.gtol) return { x, at, iterations: 0, reason: 'gtol' };

  const d = new Float64Array(n);
  for (let it = 1; it <= opts.maxIter; it++) {
    // Two-loop recursion: d = -H g with H scaled by s'y / y'y of the newest pair.
    d.set(at.g);
    for (let i = S.length - 1; i >= 0; i--) {
      alpha[i] = rho[i]! * dot(S[i]!, d);
      axpy(-alpha[i]!, Y[i]!, d);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      scale(d, 1 / (rho[last]! * dot(Y[last]!, Y[last]!)));
    }
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i]! * dot(Y[i]!, d);
      axpy(alpha[i]! - beta, S[i]!, d);
    }
    scale(d, -1);

    let firstStep = 1;
    if (S.length === 0 || dot(at.g, d) >= 0) {
      // No curvature yet (or a bad direction): steepest descent with scipy's first step 1/||g||.
      S.length = Y.length = rho.length = 0;
      d.set(at.g);
      scale(d, -1);
      firstStep = 1 / Math.sqrt(dot(d, d));
    }

    let found = await lineSearch(fg, x, at, d, firstStep, opts.maxLineSearch ?? 20);
    if (!found && S.length > 0) {
      // The quasi-Newton direction failed; forget the memory and try plain descent once.
      S.length = Y.length = rho.length = 0;
      d.set(at.g);
      scale(d, -1);
      found = await lineSearch(fg, x, at, d, 1 / Math.sqrt(dot(d, d)), opts.maxLineSearch ?? 20);
    }
    if (!found) return { x, at, iterations: it - 1, reason: 'lineSearch' };

    const s = sub(found.x, x);
    const y = sub(found.at.g, at.g);
    const sy = dot(s, y);
    if (sy > 2.220446049250313e-16 * dot(y, y)) {
      // Keep the pair only when curvature is positive, as L-BFGS-B does.
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fPrev = at.f;
    x = found.x;
    at = found.at;
    await opts.onIteration?.(it, at, x);
    if (maxAbs(at.g) <= opts.gtol) return { x, at, iterations: it, reason: 'gtol' };
    if (fPrev - at.f <= ftol * Math.max(Math.abs(fPrev), Math.abs(at.f), 1)) return { x, at, iterations: it, reason: 'ftol' };
  }
  return { x, at, iterations: opts.maxIter, reason: 'maxIter' };
}

interface Point<E> {
  step: number;
  x: Float64Array;
  at: Evaluation<E>;
  slope: number; // directional derivative g(x + step d) . d
}

// Strong Wolfe conditions with scipy's constants (sufficient decrease 1e-3, curvature 0.9).
const C1 = 1e-3;
const C2 = 0.9;

/** Nocedal & Wright alg. 3.5/3.6: bracket a step satisfying strong Wolfe, then zoom with safeguarded cubics. */
async function lineSearch<E>(
  fg: Objective<E>,
  x0: Float64Array,
  at0: Evaluation<E>,
  d: Float64Array,
  firstStep: number,
  maxEvals: number,
): Promise<{ x: Float64Array; at: Evaluation<E> } | null> {
  const slope0 = dot(at0.g, d);
  const origin: Point<E> = { step: 0, x: x0, at: at0, slope: slope0 };
  const evalAt = async (step: number): Promise<Point<E>> => {
    const x = Float64Array.from(x0);
    axpy(step, d, x);
    const at = await fg(x);
    return { step, x, at, slope: dot(at.g, d) };
  };
  const armijo = (p: Point<E>) => p.at.f <= at0.f + C1 * p.step * slope0;
  const curvature = (p: Point<E>) => Math.abs(p.slope) <= -C2 * slope0;

  let evals = 0;
  let prev = origin;
  let step = firstStep;
  let lo: Point<E>;
  let hi: Point<E>;
  for (;;) {
    if (evals++ >= maxEvals) return null;
    const p = await evalAt(step);
    if (!Number.isFinite(p.at.f) || !armijo(p) || (prev !== origin && p.at.f >= prev.at.f)) {
      [lo, hi] = [prev, p];
      break;
    }
    if (curvature(p)) return p;
    if (p.slope >= 0) {
      [lo, hi] = [p, prev];
      break;
    }
    prev = p;
    step *= 4;
  }

  while (evals++ < maxEvals) {
    const a = Math.min(lo.step, hi.step);
    const b = Math.max(lo.step, hi.step);
    let t = Number.isFinite(hi.at.f) ? cubicMin(lo, hi) : NaN;
    const margin = 0.1 * (b - a);
    if (!(t >= a + margin && t <= b - margin)) t = 0.5 * (a + b);
    const p = await evalAt(t);
    if (!Number.isFinite(p.at.f) || !armijo(p) || p.at.f >= lo.at.f) {
      hi = p;
    } else {
      if (curvature(p)) return p;
      if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
      lo = p;
    }
    if (Math.abs(hi.step - lo.step) <= 1e-12 * Math.max(1, lo.step)) break;
  }
  // Out of evaluations: accept the best decrease found, as scipy effectively does, if any.
  return lo !== origin && armijo(lo) ? lo : null;
}

/** Minimiser of the cubic matching f and slope at two steps (NaN when it has none). */
function cubicMin<E>(p: Point<E>, q: Point<E>): number {
  const d1 = p.slope + q.slope - (3 * (p.at.f - q.at.f)) / (p.step - q.step);
  const disc = d1 * d1 - p.slope * q.slope;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(q.step - p.step) * Math.sqrt(disc);
  return q.step - ((q.step - p.step) * (q.slope + d2 - d1)) / (q.slope - p.slope + 2 * d2);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= a;
}

function sub(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
