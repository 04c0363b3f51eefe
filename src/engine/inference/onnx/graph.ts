import { attr, floatTensor, int64Tensor, type AttributeValue, type NodeProto, type TensorProto } from './onnxProto.js';

/** Collects nodes and initializers with unique value names while a model is translated. */
export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly intConsts = new Map<string, string>();

  /** A value name not used yet, derived from `base` (Keras layer names are mostly kept). */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_./:-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserves a name exactly as given (graph inputs and outputs); throws on a clash. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name ${name} used twice`);
    this.used.add(name);
    return name;
  }

  floatConst(base: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** int64 constants (shapes, pads, axes) are shared when equal. */
  intConst(base: string, values: number[]): string {
    const key = values.join(',');
    const known = this.intConsts.get(key);
    if (known) return known;
    const name = this.fresh(base);
    this.initializers.push(int64Tensor(name, [values.length], values));
    this.intConsts.set(key, name);
    return name;
  }

  /** Adds a one-output node; returns its output's name. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, base = opType, output?: string): string {
    const out = output ?? this.fresh(base);
    this.nodes.push({ opType, inputs, outputs: [out], name: `${opType}:${out}`, attributes });
    return out;
  }

  transpose(x: string, perm: number[], base: string): string {
    return this.op('Transpose', [x], { perm: attr.ints(perm) }, base);
  }
}
