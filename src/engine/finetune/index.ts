// Fine-tuning: the backbone's last block(s) trained together with a dense head, the rest frozen.
import * as tf from '@tensorflow/tfjs';

export { DEFAULT_AUGMENT, FINETUNE_PRESET, finetuneConfig, type AugmentConfig, type FinetuneConfig } from './config.js';
export { planFinetune, type FinetunePlan } from './plan.js';
export { buildFullModel, buildTrainableNetwork, forwardTrain, pooledDim, type FinetuneNetwork } from './network.js';
export { headFromRun, randomHead, readHeadRun, type InitialHead } from './headInit.js';
export { applyAugment, drawAugment, type AugmentParams } from './augment.js';
export { PrefixStore, type PrefixSource } from './prefixData.js';
export { predictSplit, trainFinetune, type FinetuneTrainResult } from './train.js';
export { loadModelFolder, saveModelFolder } from './modelFiles.js';

/**
 * Training on the wasm backend needs gradient kernels tfjs-backend-wasm 4.22 lacks; selectBackend
 * registers them when it activates wasm, and this makes sure of it for code that set wasm itself.
 */
export async function ensureTrainingKernels(): Promise<void> {
  if (tf.getBackend() === 'wasm') (await import('../backend/wasmKernels/index.js')).registerWasmTrainingKernels();
}
