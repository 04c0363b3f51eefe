// Heads: classifiers trained on frozen CNN feature vectors (sklearn-style LR, the seed's Keras MLPs).
export type { EpochRecord, FeatureMatrix, HeadConfig, HeadKind, TrainArgs, TrainedHead } from './types.js';
export { HEAD_KINDS, headPreset, validateHeadConfig } from './config.js';
export { trainHead } from './train.js';
export { predictProba } from './predict.js';
export { saveHead, loadHead } from './persist.js';
