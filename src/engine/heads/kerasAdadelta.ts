import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Adadelta exactly as Keras 2 (the seed's framework) computes it. tfjs 4.22's AdadeltaOptimizer
 * divides by the accumulator from *before* this step's gradient is added, so its first step is a
 * raw `lr × gradient` step (lr 1.0 in the seed's preset), which makes small MLPs diverge.
 * Keras: a ← ρa + (1−ρ)g²;  u = g·√(d + ε)/√(a + ε);  p ← p − lr·u;  d ← ρd + (1−ρ)u².
 */
export class KerasAdadelta extends tf.Optimizer {
  static get className(): string {
    return 'KerasAdadelta';
  }
  private readonly accumulators = new Map<string, { grad: tf.Variable; update: tf.Variable }>();

  constructor(
    private readonly learningRate: number,
    private readonly rho = 0.95,
    private readonly epsilon = 1e-7,
  ) {
    super();
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs = Array.isArray(variableGradients)
      ? variableGradients.map((v) => [v.name, v.tensor] as const)
      : Object.entries(variableGradients);
    for (const [name, gradient] of pairs) {
      const value = tf.engine().registeredVariables[name];
      if (!value || !gradient) continue;
      let acc = this.accumulators.get(name);
      if (!acc) {
        acc = tf.tidy(() => ({ grad: tf.zerosLike(value).variable(false), update: tf.zerosLike(value).variable(false) }));
        this.accumulators.set(name, acc);
      }
      const { grad, update } = acc;
      tf.tidy(() => {
        const newGrad = tf.add(tf.mul(grad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
        const step = tf.mul(tf.div(tf.sqrt(tf.add(update, this.epsilon)), tf.sqrt(tf.add(newGrad, this.epsilon))), gradient);
        grad.assign(newGrad);
        update.assign(tf.add(tf.mul(update, this.rho), tf.mul(tf.square(step), 1 - this.rho)));
        value.assign(tf.sub(value, tf.mul(step, this.learningRate)));
      });
    }
    this.incrementIterations();
  }

  override dispose(): void {
    for (const { grad, update } of this.accumulators.values()) {
      grad.dispose();
      update.dispose();
    }
    this.accumulators.clear();
    super.dispose();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const weights: NamedTensor[] = [];
    for (const [name, acc] of this.accumulators) {
      weights.push({ name: `${name}/accum_grad`, tensor: acc.grad }, { name: `${name}/accum_var`, tensor: acc.update });
    }
    return [await this.saveIterations(), ...weights];
  }

  override async setWeights(): Promise<void> {
    // Heads are always trained from a fresh optimizer; resuming an optimizer's state is not offered.
    throw new Error('KerasAdadelta does not restore saved optimizer state.');
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
}
