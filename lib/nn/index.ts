/** nn: modules, layers, activation modules, losses, initializers and nn.MLP. */
export { Module, Parameter, Sequential, ModuleList, Identity } from './module';
export type { StateDict, StateEntry, StateDictOptions, ModuleJSON } from './module';
export { Linear } from './linear';
export type { LinearOptions } from './linear';
export {
  Activation,
  activation,
  ReLU,
  Sigmoid,
  Tanh,
  Softsign,
  Softplus,
  LeakyReLU,
  ELU,
  CELU,
  SELU,
  GELU,
  Mish,
  Hardswish,
  Hardsigmoid,
  ReLU6,
  SiLU,
  Swish,
  PReLU,
} from './activation';
export { BatchNorm1d, Dropout, Flatten, CrossEntropyLoss, NLLLoss, MSELoss } from './layers';
export { MLP } from './mlp';
export type { MLPOptions, ActivationChoice } from './mlp';
export * as init from './init';
export { fromJSON, copyModule } from './from_json';
