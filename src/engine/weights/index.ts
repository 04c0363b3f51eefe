export * from './kerasH5.js';
export * from './writeKerasH5.js';
export * from './detectArchitecture.js';
export * from './download.js';
