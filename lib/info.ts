/** backendInfo(): which backend, kernel family (ISA) and kernels are active. */
import * as fs from 'fs';
import * as path from 'path';
import { backend, getNativeBackend, ACT_OPS } from './backend';
import { loadNativeBinding, PACKAGE_ROOT } from './backend/native/binding';
import { names as activationNames } from './activations/registry';

export interface BackendInfo {
  /** 'native' (C++ addon) or 'js' (pure TypeScript). */
  backend: 'native' | 'js';
  /** Kernel family in use: 'avx2' | 'neon' | 'scalar' (native) or 'js'. */
  isa: string;
  /** swishnet's version. */
  version: string;
  /** Kernel families this binary can run here (native only). */
  isas: string[];
  /** The best family for this CPU (native only). */
  bestIsa: string | null;
  /** Native threads: GEMM and large activation calls. */
  threads: number;
  /**
   * Native activation calls that read and write at least this many bytes together store their output with
   * non-temporal stores (the largest cache CPUID reports for the core). null where the active kernels never do
   * (js backend, scalar and NEON kernels).
   */
  streamMinBytes: number | null;
  /** The activation names get() and --activation accept (built-in, then registered in this process). */
  activations: string[];
  /** The native/TypeScript activation kernels, in op-id order (gelu_tanh is gelu with approximate 'tanh'). */
  kernels: string[];
  /** Where the native binary was loaded from, or null. */
  nativePath: string | null;
  /** Why no native binary loaded (when the js backend is active by necessity). */
  nativeErrors: string[];
  compiler: string | null;
  node: string;
  platform: string;
}

let version: string | null = null;
export function packageVersion(): string {
  if (version === null) {
    try {
      version = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')).version as string;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

export function backendInfo(): BackendInfo {
  const b = backend();
  const nb = b.name === 'native' ? getNativeBackend() : null;
  const ni = nb ? nb.info() : null;
  const load = loadNativeBinding();
  return {
    backend: b.name,
    isa: b.isa,
    version: packageVersion(),
    isas: ni ? ni.isas : [],
    bestIsa: ni ? ni.bestIsa : null,
    threads: b.getThreads(),
    streamMinBytes: ni ? ni.streamMinBytes : null,
    activations: activationNames(),
    kernels: [...ACT_OPS],
    nativePath: nb ? nb.path : null,
    nativeErrors: load.binding ? [] : load.errors,
    compiler: ni ? ni.compiler : null,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}
