// The evaluation metrics, each matching scikit-learn 1.2 (see each module).
export { accuracy, accuracyFromConfusion, confusionMatrix } from './confusion.js';
export { cohenKappa, cohenKappaFromConfusion, kappasFromConfusion, type Kappa, type KappaWeights } from './kappa.js';
export {
  classificationReport,
  classificationReportFromConfusion,
  f1Score,
  formatClassificationReport,
  type ClassScores,
  type ClassificationReport,
} from './classificationReport.js';
export { pythonFixed } from './pythonFormat.js';
export { binaryRocAuc, rocAucOvr, type OvrAuc } from './rocAuc.js';
export { evaluate, type Metrics } from './evaluate.js';
