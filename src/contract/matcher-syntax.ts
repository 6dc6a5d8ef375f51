// Load-time checks of matcher trees and `${name}` templates, so a typo such as
// `$tpye` or `${ id }` is refused with its path instead of silently comparing literally.

import { VAR_NAME } from './interpolate.js';
import { childPath, isRecord } from './json-values.js';
import { isOperatorKey, JSON_TYPES, OPERATORS, SHORTHANDS, unescapeKey } from './matchers.js';
import type { FixtureIssue } from './fixture-error.js';

type Report = (path: string, message: string) => void;

const BAD_PLACEHOLDER = /(?<!\$)\$\{(?![A-Za-z_][A-Za-z0-9_]*\})/;
const KNOWN = new Set<string>(OPERATORS);
const TRUE_ONLY = new Set(['$any', '$uuid', '$timestamp']);

/** Reports `${...}` references that are not `${name}` with a valid variable name. */
export function checkTemplate(text: string, path: string, report: Report): void {
  const unescaped = text.replaceAll('$${', '');
  if (BAD_PLACEHOLDER.test(unescaped)) report(path, `malformed variable reference in ${JSON.stringify(text)}: use \${name} (letters, digits, _), or $\${ for a literal`);
}

/** Collects the problems of one matcher tree into `issues`. */
export function checkMatcher(matcher: unknown, path: string, issues: FixtureIssue[]): void {
  const report: Report = (at, message) => issues.push({ path: at, message });
  walk(matcher, path, report);
}

function walk(matcher: unknown, path: string, report: Report): void {
  if (typeof matcher === 'string') {
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(matcher) && !SHORTHANDS.has(matcher)) {
      report(path, `unknown shorthand ${matcher}: bare shorthands are ${[...SHORTHANDS].join(', ')} (write {$eq: "${matcher}"} for the literal text)`);
    }
    checkTemplate(matcher, path, report);
    return;
  }
  if (Array.isArray(matcher)) {
    matcher.forEach((item, i) => walk(item, childPath(path, i), report));
    return;
  }
  if (!isRecord(matcher)) {
    if (typeof matcher === 'number' && !Number.isFinite(matcher)) report(path, 'numbers must be finite');
    return;
  }
  const keys = Object.keys(matcher);
  const operators = keys.filter(isOperatorKey);
  const plain = keys.filter((key) => !isOperatorKey(key));
  for (const op of operators) {
    if (!KNOWN.has(op)) report(childPath(path, op), `unknown matcher operator ${op} (known: ${OPERATORS.join(', ')}; write $${op} for a literal key)`);
  }
  if (plain.length > 0) {
    for (const op of operators) {
      if (op !== '$exact' && KNOWN.has(op)) report(childPath(path, op), `${op} cannot sit beside plain keys (${plain.join(', ')}): nest the object under $match`);
    }
    if ('$exact' in matcher && typeof matcher.$exact !== 'boolean') report(childPath(path, '$exact'), 'must be true or false');
    for (const key of plain) walk(matcher[key], childPath(path, unescapeKey(key)), report);
    return;
  }
  for (const op of operators) {
    if (KNOWN.has(op)) checkOperator(op, matcher[op], matcher, childPath(path, op), report);
  }
}

function checkOperator(op: string, arg: unknown, ops: Record<string, unknown>, path: string, report: Report): void {
  if (TRUE_ONLY.has(op)) {
    if (arg !== true) report(path, 'must be true');
    return;
  }
  switch (op) {
    case '$absent':
      if (typeof arg !== 'boolean') report(path, 'must be true or false');
      else if (arg && Object.keys(ops).length > 1) report(path, '$absent: true cannot be combined with other operators');
      return;
    case '$exact':
      if (typeof arg !== 'boolean') report(path, 'must be true or false');
      else if (Object.keys(ops).length > 1) report(path, '$exact applies to an object of plain keys, not to other operators');
      return;
    case '$type': {
      const types = Array.isArray(arg) ? arg : [arg];
      const known: readonly unknown[] = JSON_TYPES;
      if (types.length === 0 || !types.every((type) => known.includes(type))) report(path, `must be one of ${JSON_TYPES.join(', ')} (or a list of them)`);
      return;
    }
    case '$regex':
      if (typeof arg !== 'string') return report(path, 'must be a regular expression string');
      checkTemplate(arg, path, report);
      try {
        new RegExp(arg.replaceAll('$${', '\\$\\{').replace(/\$\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'));
      } catch (error) {
        report(path, `invalid regular expression: ${(error as Error).message}`);
      }
      return;
    case '$capture':
      if (typeof arg !== 'string' || !VAR_NAME.test(arg)) report(path, 'must be a variable name (letters, digits, _; not starting with a digit)');
      return;
    case '$match':
    case '$not':
      return walk(arg, path, report);
    case '$length':
      if (typeof arg === 'number' && !(Number.isInteger(arg) && arg >= 0)) return report(path, 'must be a non-negative integer or a matcher');
      return walk(arg, path, report);
    case '$gte':
    case '$lte':
      if (typeof arg !== 'number' || !Number.isFinite(arg)) report(path, 'must be a number');
      return;
    case '$contains':
      if (typeof arg === 'string') return checkTemplate(arg, path, report);
      if (!Array.isArray(arg)) return report(path, 'must be a list of matchers (arrays) or a string (substring)');
      return walk(arg, path, report);
    case '$eq':
      return;
  }
}
