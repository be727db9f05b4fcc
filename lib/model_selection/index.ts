export { GridSearchCV, crossValidate, parameterGrid } from './grid_search';
export type {
  ParamGrid,
  GridSearchOptions,
  SearchFitOptions,
  RefitOptions,
  CvOptions,
  CvResultRow,
  CrossValidateResult,
  Scoring,
} from './grid_search';
export { StratifiedKFold, KFold } from './split';
export type { CvSplitter, Fold, KFoldOptions } from './split';
export type { ProgressOutput } from './progress';
