// Inputs of the fixed metric cases. The expected numbers in the *.test.ts files beside this were
// printed by scikit-learn 1.2.1 (numpy 1.24.2, Debian's python3-sklearn) for exactly these inputs;
// the probabilities are written with few decimals so Python and JavaScript parse identical doubles.

export interface MetricCase {
  classes: string[];
  yTrue: number[];
  yPred: number[];
  /** n rows of K probabilities, or null where the case only exercises label metrics. */
  proba: number[][] | null;
}

/** A realistic 5-grade diabetic-retinopathy-like test set: 40 images, imbalanced (17/6/9/5/3),
 * probabilities in hundredths with ties, predictions = argmax. */
export const DR5: MetricCase = {
  classes: ['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative'],
  yTrue: [3, 0, 1, 0, 0, 3, 0, 0, 2, 0, 2, 2, 2, 1, 3, 3, 4, 2, 4, 0, 0, 1, 0, 2, 1, 4, 2, 0, 2, 1, 0, 3, 0, 0, 0, 0, 2, 0, 0, 1],
  yPred: [2, 0, 1, 0, 0, 3, 0, 0, 2, 1, 2, 2, 1, 1, 3, 4, 4, 1, 3, 0, 1, 1, 0, 3, 2, 3, 2, 0, 2, 1, 0, 3, 0, 0, 0, 1, 2, 0, 0, 1],
  proba: [
    [0, 0.1, 0.47, 0.37, 0.06],
    [0.6, 0.12, 0.24, 0.03, 0.01],
    [0.17, 0.42, 0.28, 0.04, 0.09],
    [0.62, 0.13, 0.01, 0.11, 0.13],
    [0.83, 0.03, 0.13, 0, 0.01],
    [0, 0.08, 0.1, 0.58, 0.24],
    [0.83, 0.07, 0.05, 0.02, 0.03],
    [0.44, 0.27, 0.02, 0.19, 0.08],
    [0.11, 0.25, 0.43, 0.15, 0.06],
    [0.12, 0.43, 0.08, 0, 0.37],
    [0.02, 0.29, 0.39, 0.3, 0],
    [0.06, 0.11, 0.7, 0.07, 0.06],
    [0, 0.53, 0.21, 0.15, 0.11],
    [0.1, 0.73, 0.12, 0.03, 0.02],
    [0.01, 0.15, 0.14, 0.44, 0.26],
    [0.07, 0, 0.18, 0.3, 0.45],
    [0.08, 0.04, 0.1, 0.18, 0.6],
    [0.2, 0.51, 0.22, 0.06, 0.01],
    [0.09, 0.03, 0.02, 0.51, 0.35],
    [0.76, 0.22, 0.01, 0, 0.01],
    [0.26, 0.5, 0.03, 0.11, 0.1],
    [0.17, 0.36, 0.23, 0.24, 0],
    [0.51, 0.19, 0.24, 0.04, 0.02],
    [0, 0.11, 0.4, 0.48, 0.01],
    [0.31, 0.22, 0.35, 0, 0.12],
    [0.25, 0.08, 0.01, 0.36, 0.3],
    [0.09, 0.14, 0.43, 0.21, 0.13],
    [0.55, 0.23, 0, 0.21, 0.01],
    [0, 0.07, 0.86, 0.07, 0],
    [0.35, 0.41, 0.2, 0, 0.04],
    [0.55, 0.34, 0.06, 0.03, 0.02],
    [0, 0.14, 0.05, 0.55, 0.26],
    [0.48, 0.43, 0, 0.07, 0.02],
    [0.59, 0.21, 0, 0.17, 0.03],
    [0.41, 0.23, 0.01, 0, 0.35],
    [0.19, 0.42, 0.23, 0, 0.16],
    [0.02, 0.39, 0.43, 0.03, 0.13],
    [0.74, 0.07, 0.08, 0.1, 0.01],
    [0.46, 0.27, 0.05, 0.22, 0],
    [0.19, 0.36, 0.29, 0.01, 0.15],
  ],
};

/** 3 classes, scores in quarters: heavy ties inside every probability column. */
export const TIES: MetricCase = {
  classes: ['a', 'b', 'c'],
  yTrue: [0, 1, 1, 0, 2, 2, 1, 0, 0, 2, 1, 0],
  yPred: [0, 0, 1, 0, 2, 0, 1, 1, 0, 2, 2, 0],
  proba: [
    [0.5, 0.25, 0.25],
    [0.5, 0.5, 0],
    [0.25, 0.5, 0.25],
    [1, 0, 0],
    [0.25, 0.25, 0.5],
    [0.5, 0.25, 0.25],
    [0, 0.5, 0.5],
    [0.25, 0.5, 0.25],
    [0.5, 0.25, 0.25],
    [0, 0, 1],
    [0.25, 0.25, 0.5],
    [0.5, 0.5, 0],
  ],
};

/** 4 classes, 'moderate' is never predicted (precision 0/0 → 0); 'none' is predicted 8 times
 * with 1 hit, so its precision 0.125 is an exact tie at 2 digits (Python prints 0.12, toFixed 0.13). */
export const NEVER_PREDICTED: MetricCase = {
  classes: ['none', 'mild', 'moderate', 'severe'],
  yTrue: [0, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3],
  yPred: [0, 0, 0, 0, 0, 1, 1, 3, 0, 0, 1, 0, 3, 3, 3],
  proba: null,
};

/** 4 classes, 'z' never occurs in the truth but is predicted twice. */
export const ABSENT_FROM_TRUTH: MetricCase = {
  classes: ['w', 'x', 'y', 'z'],
  yTrue: [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 0, 1, 2],
  yPred: [0, 0, 0, 0, 1, 0, 1, 2, 3, 2, 2, 0, 3, 2],
  proba: [
    [0.7, 0.2, 0.05, 0.05],
    [0.4, 0.3, 0.2, 0.1],
    [0.5, 0.1, 0.1, 0.3],
    [0.25, 0.25, 0.25, 0.25],
    [0.1, 0.6, 0.2, 0.1],
    [0.3, 0.3, 0.3, 0.1],
    [0.2, 0.4, 0.1, 0.3],
    [0.05, 0.15, 0.7, 0.1],
    [0.1, 0.2, 0.3, 0.4],
    [0, 0.1, 0.8, 0.1],
    [0.2, 0.2, 0.5, 0.1],
    [0.6, 0.2, 0.1, 0.1],
    [0.1, 0.2, 0.1, 0.6],
    [0.15, 0.25, 0.35, 0.25],
  ],
};

/** Two classes, scores for the positive class with ties across the classes. */
export const BINARY: MetricCase = {
  classes: ['healthy', 'disease'],
  yTrue: [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
  yPred: [0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0],
  proba: [
    [0.9, 0.1],
    [0.65, 0.35],
    [0.65, 0.35],
    [0.4, 0.6],
    [0.8, 0.2],
    [0.95, 0.05],
    [0.5, 0.5],
    [0.65, 0.35],
    [0.2, 0.8],
    [0.65, 0.35],
    [0.4, 0.6],
    [0.05, 0.95],
    [0.5, 0.5],
    [0.55, 0.45],
  ],
};
