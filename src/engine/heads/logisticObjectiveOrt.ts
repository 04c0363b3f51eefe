import { GraphBuilder } from '../inference/onnx/graph.js';
import { attr, DataType, encodeModel } from '../inference/onnx/onnxProto.js';
import { loadOrt, ortThreads, sessionOptions } from '../inference/onnx/ort.js';
import type { Objective } from './lbfgs.js';
import type { LogisticStats } from './logisticObjective.js';
import type { FeatureMatrix } from './types.js';

/**
 * logisticObjective's function evaluated by onnxruntime, in float64 like the JavaScript one: one
 * graph computes Z = X Wᵀ + b, the weighted cross-entropy and the data gradient Rᵀ X (its matrix
 * products multi-threaded and vectorised; in JavaScript they are the whole cost of an L-BFGS
 * iteration). The L2 term is added here. The features go in as float32 and are widened in the graph.
 * Throws when onnxruntime is missing or cannot run the graph (callers use the JavaScript objective).
 */
export async function logisticObjectiveOrt(x: FeatureMatrix, y: Int32Array, numClasses: number, sampleWeight: Float64Array, C: number): Promise<Objective<LogisticStats> & { dispose(): void }> {
  const ort = await loadOrt();
  const { data, rows, dim } = x;
  const K = numClasses;
  const session = await ort.InferenceSession.create(objectiveGraph(), sessionOptions('cpu', ortThreads()));
  const onehot = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) onehot[i * K + y[i]!] = 1;
  const fixed = {
    x: new ort.Tensor('float32', data.length === rows * dim ? data : data.subarray(0, rows * dim), [rows, dim]),
    y: new ort.Tensor('float64', onehot, [rows, K]),
    s: new ort.Tensor('float64', Float64Array.from(sampleWeight), [rows]),
  };
  const invC = 1 / C;
  const objective = async (w: Float64Array) => {
    const out = await session.run({
      ...fixed,
      w: new ort.Tensor('float64', w.subarray(0, K * dim), [K, dim]),
      b: new ort.Tensor('float64', w.subarray(K * dim), [K]),
    });
    const weightedCe = (out.ce!.data as Float64Array)[0]!;
    const Z = out.z!.data as Float64Array;
    let correct = 0;
    for (let i = 0; i < rows; i++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (Z[i * K + k]! > Z[i * K + best]!) best = k;
      if (best === y[i]) correct++;
    }
    const g = new Float64Array(K * dim + K);
    g.set(out.gw!.data as Float64Array);
    g.set(out.gb!.data as Float64Array, K * dim);
    let f = weightedCe;
    for (let j = 0; j < K * dim; j++) {
      const wj = w[j]!;
      f += 0.5 * invC * wj * wj;
      g[j]! += invC * wj;
    }
    return { f, g, extra: { weightedCe, correct } };
  };
  return Object.assign(objective, { dispose: () => void session.release().catch(() => undefined) });
}

/** x [n, d] float32, w [K, d], b [K], y one-hot [n, K], s [n] (float64) → ce = Σ sᵢ·CEᵢ, z, gw = Rᵀx, gb = Σ R. */
function objectiveGraph(): Uint8Array {
  const g = new GraphBuilder();
  for (const name of ['x', 'w', 'b', 'y', 's', 'ce', 'z', 'gw', 'gb']) g.reserve(name);
  const ints = (v: number[]) => g.intConst('axes', v);
  const xd = g.op('Cast', ['x'], { to: attr.int(DataType.DOUBLE) }, 'xd');
  g.op('Add', [g.op('MatMul', [xd, g.transpose('w', [1, 0], 'wt')], {}, 'xw'), 'b'], {}, 'z', 'z');
  const zmax = g.op('ReduceMax', ['z'], { axes: attr.ints([1]), keepdims: attr.int(1) }, 'zmax');
  const e = g.op('Exp', [g.op('Sub', ['z', zmax], {}, 'zc')], {}, 'e');
  const sum = g.op('ReduceSum', [e, ints([1])], { keepdims: attr.int(1) }, 'sum');
  const lse = g.op('Add', [zmax, g.op('Log', [sum], {}, 'logsum')], {}, 'lse');
  const zy = g.op('ReduceSum', [g.op('Mul', ['z', 'y'], {}, 'zy_all'), ints([1])], { keepdims: attr.int(1) }, 'zy');
  const s2 = g.op('Unsqueeze', ['s', ints([1])], {}, 's2');
  // d(sᵢ CEᵢ)/dzᵢₖ = sᵢ (pᵢₖ − yᵢₖ)
  const r = g.op('Mul', [s2, g.op('Sub', [g.op('Div', [e, sum], {}, 'p'), 'y'], {}, 'p_y')], {}, 'r');
  g.op('ReduceSum', [g.op('Mul', [s2, g.op('Sub', [lse, zy], {}, 'ce_i')], {}, 'wce'), ints([0, 1])], { keepdims: attr.int(0) }, 'ce', 'ce');
  g.op('MatMul', [g.transpose(r, [1, 0], 'rt'), xd], {}, 'gw', 'gw');
  g.op('ReduceSum', [r, ints([0])], { keepdims: attr.int(0) }, 'gb', 'gb');
  const D = DataType.DOUBLE;
  const chunks = encodeModel({
    irVersion: 7,
    opsetVersion: 13,
    producerName: 'fttl',
    producerVersion: '1',
    docString: "sklearn's multinomial logistic objective (data term) and its gradient, float64",
    graph: {
      name: 'logistic_objective',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [
        { name: 'x', elemType: DataType.FLOAT, shape: ['n', 'd'] },
        { name: 'w', elemType: D, shape: ['k', 'd'] },
        { name: 'b', elemType: D, shape: ['k'] },
        { name: 'y', elemType: D, shape: ['n', 'k'] },
        { name: 's', elemType: D, shape: ['n'] },
      ],
      outputs: [
        { name: 'ce', elemType: D, shape: [] },
        { name: 'z', elemType: D, shape: ['n', 'k'] },
        { name: 'gw', elemType: D, shape: ['k', 'd'] },
        { name: 'gb', elemType: D, shape: ['k'] },
      ],
    },
  });
  return Buffer.concat(chunks);
}
