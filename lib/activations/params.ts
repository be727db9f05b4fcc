/** Parameter specs with validation, for built-in and (later) user-registered activations. */
import type { ParamSpec, ParamValue } from './types';
import { describeTyped } from './validate';

export interface NumberParamOptions {
  name: string;
  default: number;
  description?: string;
  learnable?: boolean;
  /** Values must be > this (exclusive lower bound). */
  greaterThan?: number;
  /** Values must not be 0. */
  nonZero?: boolean;
  /** Values must be integers. */
  integer?: boolean;
  /** Values must be >= this. */
  min?: number;
  /** Values must be <= this. */
  max?: number;
  /** |value| must be <= this (the float32 kernels take parameters as float32: 1e20 leaves room for products). */
  maxAbs?: number;
  /** value must be 0 or |value| >= this. */
  zeroOrMinAbs?: number;
}

/** A bound as people write it: 1e+20 rather than 100000000000000000000. */
function bound(v: number): string {
  return v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4) ? v.toExponential() : String(v);
}

/** A finite number, optionally bounded. */
export function numberParam(o: NumberParamOptions): ParamSpec {
  const domain: string[] = [];
  if (o.greaterThan !== undefined) domain.push(`> ${o.greaterThan}`);
  if (o.min !== undefined) domain.push(`>= ${bound(o.min)}`);
  if (o.max !== undefined) domain.push(`<= ${bound(o.max)}`);
  if (o.nonZero) domain.push('other than 0');
  if (o.zeroOrMinAbs !== undefined) {
    const top = o.maxAbs !== undefined ? ` <= ${bound(o.maxAbs)}` : '';
    domain.push(`that is 0 or has ${bound(o.zeroOrMinAbs)} <= |x|${top}`);
  } else if (o.maxAbs !== undefined) domain.push(`with |x| <= ${bound(o.maxAbs)}`);
  const what = `${o.integer ? 'an integer' : 'a finite number'}${domain.length ? ' ' + domain.join(', ') : ''}`;
  return {
    name: o.name,
    default: o.default,
    learnable: o.learnable,
    description: o.description,
    validate(value: unknown, activation: string): number {
      if (typeof value !== 'number') {
        throw new TypeError(`${activation}: parameter '${o.name}' must be ${what}, got ${describeTyped(value)}`);
      }
      if (
        !Number.isFinite(value) ||
        (o.integer && !Number.isInteger(value)) ||
        (o.greaterThan !== undefined && !(value > o.greaterThan)) ||
        (o.min !== undefined && !(value >= o.min)) ||
        (o.max !== undefined && !(value <= o.max)) ||
        (o.nonZero && value === 0) ||
        (o.maxAbs !== undefined && !(Math.abs(value) <= o.maxAbs)) ||
        (o.zeroOrMinAbs !== undefined && value !== 0 && !(Math.abs(value) >= o.zeroOrMinAbs))
      ) {
        throw new RangeError(`${activation}: parameter '${o.name}' must be ${what}, got ${value}`);
      }
      return value;
    },
  };
}

/** One of a fixed set of strings. */
export function choiceParam(o: { name: string; default: string; choices: readonly string[]; description?: string }): ParamSpec {
  const list = o.choices.map((c) => `'${c}'`).join(' or ');
  return {
    name: o.name,
    default: o.default,
    description: o.description,
    validate(value: unknown, activation: string): string {
      if (typeof value !== 'string') {
        throw new TypeError(`${activation}: parameter '${o.name}' must be ${list}, got ${describeTyped(value)}`);
      }
      if (!o.choices.includes(value)) {
        throw new RangeError(`${activation}: parameter '${o.name}' must be ${list}, got '${value}'`);
      }
      return value;
    },
  };
}

export function booleanParam(o: { name: string; default: boolean; description?: string }): ParamSpec {
  return {
    name: o.name,
    default: o.default,
    description: o.description,
    validate(value: unknown, activation: string): boolean {
      if (typeof value !== 'boolean') {
        throw new TypeError(`${activation}: parameter '${o.name}' must be true or false, got ${describeTyped(value)}`);
      }
      return value;
    },
  };
}

/**
 * A number, or one number per channel (a non-empty number[], Float32Array or Float64Array of finite values,
 * normalized to a frozen number[]).
 */
export function numberOrListParam(o: {
  name: string;
  default: number;
  description?: string;
  learnable?: boolean;
  /** |value| (each value of a list) must be <= this. */
  maxAbs: number;
}): ParamSpec {
  const within = (v: number): boolean => Number.isFinite(v) && Math.abs(v) <= o.maxAbs;
  return {
    name: o.name,
    default: o.default,
    learnable: o.learnable,
    description: o.description,
    validate(value: unknown, activation: string): ParamValue {
      const what =
        `a number or a non-empty array of numbers (one per channel), each with |x| <= ${bound(o.maxAbs)}`;
      if (typeof value === 'number') {
        if (!within(value)) {
          throw new RangeError(`${activation}: parameter '${o.name}' must be ${what}, got ${value}`);
        }
        return value;
      }
      if (!(Array.isArray(value) || value instanceof Float32Array || value instanceof Float64Array)) {
        throw new TypeError(`${activation}: parameter '${o.name}' must be ${what}, got ${describeTyped(value)}`);
      }
      if (value.length === 0) throw new RangeError(`${activation}: parameter '${o.name}' must not be empty`);
      const out: number[] = [];
      for (let i = 0; i < value.length; i++) {
        const v = value[i] as unknown;
        if (typeof v !== 'number') {
          throw new TypeError(`${activation}: parameter '${o.name}'[${i}] must be a number, got ${describeTyped(v)}`);
        }
        if (!within(v)) {
          throw new RangeError(`${activation}: parameter '${o.name}'[${i}] must have |x| <= ${bound(o.maxAbs)}, got ${v}`);
        }
        out.push(v);
      }
      return Object.freeze(out);
    },
  };
}
