/**
 * What the plots need from the activation registry (lib/activations): the registered names with their
 * parameters and defaults, for the gallery, titles and default animation sweeps.
 */
import * as activations from '../activations';

export interface ActivationParamInfo {
  name: string;
  default: unknown;
  learnable?: boolean;
}

export interface ActivationInfo {
  name: string;
  aliases: string[];
  params: ActivationParamInfo[];
  description: string;
}

/** Every registered activation (built-in and user-registered), in registry order. */
export function listActivations(): ActivationInfo[] {
  return activations.list().map((a) => ({
    name: a.name,
    aliases: [...(a.aliases ?? [])],
    params: (a.params ?? []).map((p) => ({ name: p.name, default: p.default, learnable: p.learnable })),
    description: a.description ?? '',
  }));
}

/** The registry entry for a name or alias, or undefined. */
export function findActivation(name: string): ActivationInfo | undefined {
  return listActivations().find((a) => a.name === name || a.aliases.includes(name));
}

/** Greek letters for the usual parameter names (β for swish's beta), as papers write them. */
export function paramSymbol(name: string): string {
  const greek: Record<string, string> = { alpha: 'α', beta: 'β', gamma: 'γ', lambda: 'λ', lambd: 'λ' };
  return Object.hasOwn(greek, name) ? greek[name] : name;
}

/** 'β=0.5, threshold=20' for display; arrays are shortened. */
export function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${paramSymbol(k)}=${formatValue(v)}`)
    .join(', ');
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(6)));
  if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const a = Array.from(v as ArrayLike<number>);
    return `[${a.slice(0, 4).map(formatValue).join(', ')}${a.length > 4 ? ', …' : ''}]`;
  }
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
