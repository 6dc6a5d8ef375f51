// Matching an actual JSON value against a fixture matcher, collecting every failure
// with its path rather than stopping at the first, so a report shows all that differs.
// The syntax is checked at load time (matcher-syntax.ts); here we only evaluate.

import {
  hasPlaceholder, interpolateRegex, interpolateString, lookupVariable, UnknownVariableError, wholeVariable,
} from './interpolate.js';
import { childPath, deepEqual, isRecord, typeName } from './json-values.js';
import type { Failure, Matcher, Vars } from './types.js';

/** Every `$operator` a matcher object may hold. */
export const OPERATORS = [
  '$any', '$eq', '$type', '$uuid', '$timestamp', '$regex', '$capture', '$match',
  '$not', '$absent', '$length', '$gte', '$lte', '$contains', '$exact',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Bare strings that stand for `{<op>: true}`, e.g. `id: $uuid`. */
export const SHORTHANDS: ReadonlySet<string> = new Set(['$any', '$uuid', '$timestamp']);

export const JSON_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;

/** A key starting with a single `$` is an operator; `$$name` is the literal key `$name`. */
export function isOperatorKey(key: string): boolean {
  return key.startsWith('$') && !key.startsWith('$$');
}

export function unescapeKey(key: string): string {
  return key.startsWith('$$') ? key.slice(1) : key;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;

/** ISO-8601 date-time text, or epoch seconds (2001–2286) or milliseconds in that range. */
export function isTimestamp(value: unknown): boolean {
  if (typeof value === 'string') return ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value.replace(' ', 'T')));
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return (value >= 1e9 && value < 1e10) || (value >= 1e12 && value < 1e13);
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'integer': return Number.isInteger(value);
    case 'number': return typeof value === 'number' && Number.isFinite(value);
    case 'object': return isRecord(value);
    default: return typeName(value) === type;
  }
}

function fail(path: string, expected: unknown, actual: unknown, message: string): Failure[] {
  return [{ path, expected, actual, message }];
}

/** Runs `fn` on a copy of the variables and keeps its captures only when it passed. */
function tentatively(vars: Vars, fn: (scratch: Vars) => Failure[]): Failure[] {
  const scratch: Vars = { ...vars };
  const failures = fn(scratch);
  if (failures.length === 0) Object.assign(vars, scratch);
  return failures;
}

/**
 * Matches `actual` against `expected`; `undefined` stands for an absent key.
 * Captures are written into `vars` (visible to matchers evaluated later).
 */
export function matchValue(expected: Matcher, actual: unknown, path: string, vars: Vars): Failure[] {
  try {
    if (typeof expected === 'string') return matchString(expected, actual, path, vars);
    if (Array.isArray(expected)) return matchArray(expected, actual, path, vars);
    if (isRecord(expected)) {
      const keys = Object.keys(expected);
      const plain = keys.some((key) => !isOperatorKey(key));
      if (!plain && !(keys.length === 1 && keys[0] === '$exact')) return matchOperators(expected, actual, path, vars);
      return matchObject(expected, actual, path, vars);
    }
    if (actual === undefined) return fail(path, expected, actual, 'is absent');
    if (deepEqual(expected, actual)) return [];
    const message = typeName(expected) === typeName(actual) ? 'values differ' : `expected ${typeName(expected)}, got ${typeName(actual)}`;
    return fail(path, expected, actual, message);
  } catch (error) {
    if (error instanceof UnknownVariableError) return fail(path, expected, actual, error.message);
    throw error;
  }
}

function matchString(expected: string, actual: unknown, path: string, vars: Vars): Failure[] {
  if (SHORTHANDS.has(expected)) return matchOperators({ [expected]: true }, actual, path, vars);
  if (actual === undefined) return fail(path, expected, actual, 'is absent');
  const whole = wholeVariable(expected);
  if (whole !== undefined) {
    const value = lookupVariable(whole, vars);
    return deepEqual(value, actual) ? [] : fail(path, value, actual, `differs from \${${whole}}`);
  }
  const text = hasPlaceholder(expected) ? interpolateString(expected, vars) : expected;
  if (text === actual) return [];
  return fail(path, text, actual, typeof actual === 'string' ? 'values differ' : `expected string, got ${typeName(actual)}`);
}

function matchArray(expected: Matcher[], actual: unknown, path: string, vars: Vars): Failure[] {
  if (!Array.isArray(actual)) {
    return fail(path, expected, actual, actual === undefined ? 'is absent' : `expected array, got ${typeName(actual)}`);
  }
  if (actual.length !== expected.length) {
    return fail(path, expected, actual, `expected ${expected.length} element(s), got ${actual.length}`);
  }
  return expected.flatMap((item, i) => matchValue(item, actual[i], childPath(path, i), vars));
}

function matchObject(expected: Record<string, Matcher>, actual: unknown, path: string, vars: Vars): Failure[] {
  if (!isRecord(actual)) {
    return fail(path, expected, actual, actual === undefined ? 'is absent' : `expected object, got ${typeName(actual)}`);
  }
  const failures: Failure[] = [];
  const named = new Set<string>();
  for (const [key, matcher] of Object.entries(expected)) {
    if (key === '$exact') continue;
    const realKey = unescapeKey(key);
    named.add(realKey);
    const child = Object.hasOwn(actual, realKey) ? actual[realKey] : undefined;
    failures.push(...matchValue(matcher, child, childPath(path, realKey), vars));
  }
  if (expected.$exact === true) {
    for (const key of Object.keys(actual)) {
      if (!named.has(key)) failures.push({ path: childPath(path, key), actual: actual[key], message: 'unexpected key ($exact)' });
    }
  }
  return failures;
}

function matchOperators(ops: Record<string, Matcher>, actual: unknown, path: string, vars: Vars): Failure[] {
  if ('$absent' in ops && ops.$absent === true) {
    return actual === undefined ? [] : fail(path, ops, actual, 'must be absent');
  }
  if (actual === undefined && !('$not' in ops)) return fail(path, ops, actual, 'is absent');
  const failures: Failure[] = [];
  for (const [op, arg] of Object.entries(ops)) {
    failures.push(...applyOperator(op as Operator, arg, ops, actual, path, vars));
  }
  if (failures.length === 0 && typeof ops.$capture === 'string') vars[ops.$capture] = captured(ops, actual, vars);
  return failures;
}

/** What `$capture` stores: the value, or beside a `$regex` with a group, the first group's text (a file name out of a path). */
function captured(ops: Record<string, Matcher>, actual: unknown, vars: Vars): unknown {
  if (typeof ops.$regex !== 'string' || typeof actual !== 'string') return actual;
  const groups = new RegExp(interpolateRegex(ops.$regex, vars)).exec(actual);
  return groups && groups.length > 1 ? groups[1] : actual;
}

function applyOperator(op: Operator, arg: Matcher, ops: Record<string, Matcher>, actual: unknown, path: string, vars: Vars): Failure[] {
  switch (op) {
    case '$any':
    case '$absent': // `$absent: false` only asks for presence, checked above
    case '$capture': // applied once everything else passed
    case '$exact':
      return [];
    case '$eq':
      return deepEqual(arg, actual) ? [] : fail(path, arg, actual, 'values differ ($eq)');
    case '$type': {
      const types = Array.isArray(arg) ? arg.map(String) : [String(arg)];
      return types.some((type) => hasType(actual, type)) ? [] : fail(path, ops, actual, `expected type ${types.join(' | ')}, got ${typeName(actual)}`);
    }
    case '$uuid':
      return typeof actual === 'string' && UUID.test(actual) ? [] : fail(path, ops, actual, 'expected a UUID');
    case '$timestamp':
      return isTimestamp(actual) ? [] : fail(path, ops, actual, 'expected an ISO-8601 timestamp or epoch seconds/milliseconds');
    case '$regex': {
      const pattern = interpolateRegex(String(arg), vars);
      if (typeof actual !== 'string') return fail(path, ops, actual, `expected string matching /${pattern}/, got ${typeName(actual)}`);
      return new RegExp(pattern).test(actual) ? [] : fail(path, ops, actual, `does not match /${pattern}/`);
    }
    case '$match':
      return matchValue(arg, actual, path, vars);
    case '$not': {
      const inner = tentatively(vars, (scratch) => matchValue(arg, actual, path, scratch));
      return inner.length > 0 ? [] : fail(path, ops, actual, 'matches, but must not ($not)');
    }
    case '$length': {
      const length = Array.isArray(actual) || typeof actual === 'string' ? actual.length : isRecord(actual) ? Object.keys(actual).length : undefined;
      if (length === undefined) return fail(path, ops, actual, `$length needs a string, array or object, got ${typeName(actual)}`);
      return matchValue(arg, length, `${path}.$length`, vars);
    }
    case '$gte':
    case '$lte': {
      if (typeof actual !== 'number') return fail(path, ops, actual, `expected number, got ${typeName(actual)}`);
      const bound = Number(arg);
      const ok = op === '$gte' ? actual >= bound : actual <= bound;
      return ok ? [] : fail(path, ops, actual, `expected ${op === '$gte' ? '>=' : '<='} ${bound}`);
    }
    case '$contains':
      return matchContains(arg, actual, path, vars);
  }
}

/** Arrays: each listed matcher needs its own element, in any order. Strings: substring. */
function matchContains(arg: Matcher, actual: unknown, path: string, vars: Vars): Failure[] {
  if (typeof arg === 'string') {
    const needle = interpolateString(arg, vars);
    if (typeof actual !== 'string') return fail(path, { $contains: needle }, actual, `expected string, got ${typeName(actual)}`);
    return actual.includes(needle) ? [] : fail(path, { $contains: needle }, actual, 'does not contain the text');
  }
  if (!Array.isArray(actual)) return fail(path, { $contains: arg }, actual, `expected array, got ${typeName(actual)}`);
  const used = new Set<number>();
  const failures: Failure[] = [];
  (arg as Matcher[]).forEach((item, j) => {
    const index = actual.findIndex((element, i) =>
      !used.has(i) && tentatively(vars, (scratch) => matchValue(item, element, childPath(path, i), scratch)).length === 0);
    if (index >= 0) used.add(index);
    else failures.push({ path, expected: item, actual, message: `no element matches $contains[${j}]` });
  });
  return failures;
}
