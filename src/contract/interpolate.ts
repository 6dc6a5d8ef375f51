// `${name}` interpolation of scenario variables. `$${` writes a literal `${`.
// A string that is exactly one `${name}` stands for the variable's value with its
// original type (a captured number stays a number), which is what a fixture author
// means when writing `limit: "${pageSize}"` or matching `id: "${taskId}"`.

import { isRecord } from './json-values.js';
import type { Vars } from './types.js';

export const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TOKEN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Thrown when a fixture refers to a variable that was never set or captured. */
export class UnknownVariableError extends Error {
  constructor(readonly variable: string) {
    super(`unknown variable \${${variable}}`);
    this.name = 'UnknownVariableError';
  }
}

/** The variable's value; throws UnknownVariableError when it was never set. */
export function lookupVariable(name: string, vars: Vars): unknown {
  if (!Object.hasOwn(vars, name)) throw new UnknownVariableError(name);
  return vars[name];
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The variable name when `template` is exactly `${name}`. */
export function wholeVariable(template: string): string | undefined {
  return WHOLE.exec(template)?.[1];
}

/** True when the string holds a `${name}` reference (or a `$${` escape) to resolve. */
export function hasPlaceholder(template: string): boolean {
  TOKEN.lastIndex = 0;
  return TOKEN.test(template);
}

/** Replaces every `${name}` with the variable as text (JSON for non-strings). */
export function interpolateString(template: string, vars: Vars): string {
  return template.replace(TOKEN, (token, name: string | undefined) =>
    name === undefined ? '${' : asText(lookupVariable(name, vars)),
  );
}

/** Like interpolateString, with values escaped so they match literally inside a RegExp. */
export function interpolateRegex(pattern: string, vars: Vars): string {
  return pattern.replace(TOKEN, (token, name: string | undefined) =>
    name === undefined ? '\\$\\{' : asText(lookupVariable(name, vars)).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'),
  );
}

/** Interpolates every string inside a JSON value; a whole `${name}` keeps its type. */
export function interpolateValue(value: unknown, vars: Vars): unknown {
  if (typeof value === 'string') return resolveVariable(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateValue(item, vars));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateValue(item, vars)]));
  }
  return value;
}

/** Resolves a whole `${name}` to its value, otherwise interpolates as text. */
export function resolveVariable(template: string, vars: Vars): unknown {
  const whole = wholeVariable(template);
  return whole === undefined ? interpolateString(template, vars) : lookupVariable(whole, vars);
}
