/** Differentiable ops: validate arguments, then Function.apply. One file per op family. */
export { add, sub, mul, div, neg, exp, log, pow, sqrt, clone, cast } from './elementwise';
export { sum, mean, argmax } from './reduce';
export { reshape, flatten, transpose, permute } from './shape';
export { matmul, linear, linearAct } from './matmul';
export { activation, relu, sigmoid, tanh, prelu, swish, resolveActivation } from './activation';
export type { ActivationLike, ResolvedActivation } from './activation';
export { softmax, logSoftmax } from './softmax';
export { crossEntropy, nllLoss, mseLoss } from './loss';
export type { Reduction, Targets, ClassLossOptions } from './loss';
export { dropout } from './dropout';
export type { DropoutOptions } from './dropout';
export { batchNorm } from './batchnorm';
export type { BatchNormOptions } from './batchnorm';
export { gemm, gemmAsync } from './gemm';
