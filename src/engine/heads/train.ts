import { FttlError, throwIfCancelled } from '../util/errors.js';
import { validateHeadConfig } from './config.js';
import { checkTrainingData } from './data.js';
import { trainLr } from './trainLr.js';
import { trainMlp } from './trainMlp.js';
import type { TrainArgs, TrainedHead } from './types.js';

/** Trains the head the config names on frozen feature vectors. Throws FttlError('cancelled') on abort. */
export async function trainHead(args: TrainArgs): Promise<TrainedHead> {
  // Configs typed in code are still checked: a negative learning rate should fail here, not in tfjs.
  const config = validateHeadConfig(args.config);
  checkTrainingData(args.x, args.y, args.numClasses);
  if (args.val) {
    checkTrainingData(args.val.x, args.val.y, args.numClasses, 'validation');
    if (args.val.x.dim !== args.x.dim) {
      throw new FttlError('bad-input', `Validation features are ${args.val.x.dim}-d but training ones are ${args.x.dim}-d.`);
    }
  }
  if (Array.isArray(config.classWeight) && config.classWeight.length !== args.numClasses) {
    throw new FttlError('bad-input', `classWeight lists ${config.classWeight.length} weights but there are ${args.numClasses} classes.`);
  }
  throwIfCancelled(args.signal);
  const full = { ...args, config };
  return config.kind === 'lr' ? trainLr(full) : trainMlp(full);
}
