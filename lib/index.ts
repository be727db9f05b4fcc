/**
 * swishnet — train neural networks in Node.js.
 * Public entry point (CommonJS build in dist/index.js, ESM in dist/index.mjs).
 */
export { backendInfo, packageVersion } from './info';
export type { BackendInfo } from './info';
export { backend, setBackend, getJsBackend, getNativeBackend, ACT_OPS, ActOp } from './backend';
export type { Backend, FloatArray, DType, GemmEpilogue } from './backend';
export { Rng, Purpose, streamFor } from './util/random';

// Elementwise activations (forward / derivative / backward on typed arrays) and plots of them.
export * as activations from './activations';
export { registerActivation, unregisterActivation } from './activations/custom';
export type { RegisterActivationOptions, ElementwiseDefinition, TensorActivationFn, CustomParamSpec } from './activations/custom';
export { visualizeActivation } from './viz/visualize';
export type { VisualizeOptions, ActivationCurve } from './viz/visualize';

// Autograd and differentiable ops.
export * from './autograd';
export * from './ops';
export type { GemmOptions } from './ops/gemm';

// Layers, optimizers.
export * as nn from './nn';
export * as optim from './optim';
export { SGD, Adam, AdamW } from './optim';

// Data.
export {
  readIdx,
  readIdxSync,
  parseIdx,
  loadMnist,
  loadMnistAsync,
  mnistStats,
  mnistFiles,
  stratifiedKFold,
  kFold,
  trainValidSplit,
} from './data';
export type { MnistData, LoadMnistOptions, MnistNormalize, MnistStat, MnistStats, MnistSplit, MnistDType } from './data';

// Training and model selection.
export { NeuralNetClassifier, TrainingDivergedError } from './train/classifier';
export type {
  NeuralNetClassifierOptions,
  FitOptions,
  ModuleFactory,
  ModuleFactoryParams,
} from './train/classifier';
export { History, HistoryTable } from './train/history';
export type { EpochRecord, BatchRecord } from './train/history';
export { EarlyStopping, Checkpoint, PrintLog, ProgressBar } from './train/callbacks';
export type { Callback, BatchInfo, TrainEndInfo, TrainerView } from './train/callbacks';
export { GridSearchCV, crossValidate, parameterGrid, StratifiedKFold, KFold } from './model_selection';
export type {
  ParamGrid,
  GridSearchOptions,
  SearchFitOptions,
  RefitOptions,
  CvOptions,
  CvResultRow,
  CvSplitter,
  ProgressOutput,
} from './model_selection';
