import { describe, expect, it } from 'vitest';
import { isTimestamp, matchValue } from '../../src/contract/index.js';
import type { Failure, Matcher, Vars } from '../../src/contract/index.js';

/** Paths and messages of the failures, the part a report shows. */
function check(matcher: Matcher, actual: unknown, vars: Vars = {}): Array<Pick<Failure, 'path' | 'message'>> {
  return matchValue(matcher, actual, 'json', vars).map(({ path, message }) => ({ path, message }));
}

describe('literal matchers', () => {
  it('compares scalars by deep equality and names the type on a mismatch', () => {
    expect(check(3, 3)).toEqual([]);
    expect(check(true, true)).toEqual([]);
    expect(check(null, null)).toEqual([]);
    expect(check('a', 'a')).toEqual([]);
    expect(check(3, 4)).toEqual([{ path: 'json', message: 'values differ' }]);
    expect(check(3, '3')).toEqual([{ path: 'json', message: 'expected number, got string' }]);
    expect(check('3', 3)).toEqual([{ path: 'json', message: 'expected string, got number' }]);
    expect(check(null, {})).toEqual([{ path: 'json', message: 'expected null, got object' }]);
  });

  it('matches objects partially, naming each differing or missing key', () => {
    expect(check({ a: 1 }, { a: 1, b: 2 })).toEqual([]);
    expect(check({ a: 1, c: { d: 'x' } }, { a: 2, c: {} })).toEqual([
      { path: 'json.a', message: 'values differ' },
      { path: 'json.c.d', message: 'is absent' },
    ]);
    expect(check({ 'odd key': 1 }, {})).toEqual([{ path: 'json["odd key"]', message: 'is absent' }]);
    expect(check({ a: 1 }, [1])).toEqual([{ path: 'json', message: 'expected object, got array' }]);
  });

  it('$exact refuses extra keys at its own level only', () => {
    expect(check({ $exact: true, a: 1, b: { c: 1 } }, { a: 1, b: { c: 1, d: 2 } })).toEqual([]);
    expect(check({ $exact: true, a: 1 }, { a: 1, extra: true })).toEqual([{ path: 'json.extra', message: 'unexpected key ($exact)' }]);
    expect(check({ $exact: true }, {})).toEqual([]);
    expect(check({ $exact: true }, { a: 1 })).toEqual([{ path: 'json.a', message: 'unexpected key ($exact)' }]);
  });

  it('matches arrays element-wise and by length', () => {
    expect(check([1, { a: 2 }], [1, { a: 2, b: 3 }])).toEqual([]);
    expect(check([1, 2], [1, 3])).toEqual([{ path: 'json[1]', message: 'values differ' }]);
    expect(check([1, 2], [1, 2, 3])).toEqual([{ path: 'json', message: 'expected 2 element(s), got 3' }]);
    expect(check([], {})).toEqual([{ path: 'json', message: 'expected array, got object' }]);
  });

  it('$$key stands for a literal key starting with $', () => {
    expect(check({ $$schema: 'x' }, { $schema: 'x' })).toEqual([]);
    expect(check({ $$schema: 'x' }, { schema: 'x' })).toEqual([{ path: 'json.$schema', message: 'is absent' }]);
  });
});

describe('operators', () => {
  it('$any accepts any present value, including null', () => {
    expect(check({ a: { $any: true } }, { a: null })).toEqual([]);
    expect(check({ a: '$any' }, { a: [1] })).toEqual([]);
    expect(check({ a: '$any' }, {})).toEqual([{ path: 'json.a', message: 'is absent' }]);
  });

  it('$type checks JSON types, integer included, and accepts a list', () => {
    const cases: Array<[string, unknown]> = [
      ['string', 's'], ['number', 1.5], ['integer', 2], ['boolean', false], ['object', {}], ['array', []], ['null', null],
    ];
    for (const [type, value] of cases) expect(check({ $type: type }, value)).toEqual([]);
    expect(check({ $type: 'integer' }, 1.5)).toEqual([{ path: 'json', message: 'expected type integer, got number' }]);
    expect(check({ $type: 'object' }, [])).toEqual([{ path: 'json', message: 'expected type object, got array' }]);
    expect(check({ $type: ['string', 'null'] }, null)).toEqual([]);
    expect(check({ $type: ['string', 'null'] }, 1)).toEqual([{ path: 'json', message: 'expected type string | null, got number' }]);
  });

  it('$uuid accepts UUIDs in either case and nothing else', () => {
    expect(check('$uuid', '3f2504e0-4f89-41d3-9a0c-0305e82c3301')).toEqual([]);
    expect(check({ $uuid: true }, '3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toEqual([]);
    expect(check('$uuid', 'task-1')).toEqual([{ path: 'json', message: 'expected a UUID' }]);
    expect(check('$uuid', 42)).toEqual([{ path: 'json', message: 'expected a UUID' }]);
  });

  it('$timestamp accepts ISO-8601 text and epoch seconds or milliseconds', () => {
    for (const value of ['2025-01-02T03:04:05Z', '2025-01-02T03:04:05.123+02:00', '2025-01-02 03:04:05', 1_735_787_045, 1_735_787_045.25, 1_735_787_045_123]) {
      expect(isTimestamp(value), String(value)).toBe(true);
    }
    for (const value of ['yesterday', '2025-13-45T99:00:00Z', '2025-01-02', 42, -1, true, null]) {
      expect(isTimestamp(value), String(value)).toBe(false);
    }
    expect(check({ at: '$timestamp' }, { at: 'soon' })).toEqual([
      { path: 'json.at', message: 'expected an ISO-8601 timestamp or epoch seconds/milliseconds' },
    ]);
  });

  it('$regex tests strings, with ${var} values matched literally', () => {
    expect(check({ $regex: '^ta' }, 'task')).toEqual([]);
    expect(check({ $regex: '^ta' }, 'at')).toEqual([{ path: 'json', message: 'does not match /^ta/' }]);
    expect(check({ $regex: '^ta' }, 7)).toEqual([{ path: 'json', message: 'expected string matching /^ta/, got number' }]);
    expect(check({ $regex: '^/t/${id}$' }, '/t/a.b', { id: 'a.b' })).toEqual([]);
    expect(check({ $regex: '^/t/${id}$' }, '/t/axb', { id: 'a.b' })).toHaveLength(1);
  });

  it('$capture stores the value, after its $match passed', () => {
    const vars: Vars = {};
    expect(check({ id: { $capture: 'id', $match: { $type: 'string' } }, n: { $capture: 'n' } }, { id: 'x1', n: 4 }, vars)).toEqual([]);
    expect(vars).toEqual({ id: 'x1', n: 4 });
    const untouched: Vars = {};
    expect(check({ $capture: 'id', $match: { $type: 'number' } }, 'x1', untouched)).toHaveLength(1);
    expect(untouched).toEqual({});
  });

  it('$capture beside a $regex with a group stores the group; without a group, the whole value', () => {
    const vars: Vars = {};
    const path = '/data/local-uploads/s1/ab12_cat.png';
    expect(check({ a: { $capture: 'file', $regex: '/([^/]+)$' }, b: { $capture: 'whole', $regex: '^/data/' } }, { a: path, b: path }, vars)).toEqual([]);
    expect(vars).toEqual({ file: 'ab12_cat.png', whole: path });
    const untouched: Vars = {};
    expect(check({ $capture: 'file', $regex: '/([^/]+)\\.jpg$' }, path, untouched)).toHaveLength(1);
    expect(untouched).toEqual({});
  });

  it('${name} compares with the variable, keeping its original type', () => {
    const vars: Vars = { n: 4, id: 'x1', obj: { a: [1] } };
    expect(check({ n: '${n}', id: '${id}', obj: '${obj}' }, { n: 4, id: 'x1', obj: { a: [1] } }, vars)).toEqual([]);
    expect(check('${n}', '4', vars)).toEqual([{ path: 'json', message: 'differs from ${n}' }]);
    expect(check('task ${id} (${n})', 'task x1 (4)', vars)).toEqual([]);
    expect(check('$${id}', '${id}', vars)).toEqual([]);
    expect(check('${nope}', 'x', vars)).toEqual([{ path: 'json', message: 'unknown variable ${nope}' }]);
  });

  it('$not inverts a matcher and leaves no captures behind', () => {
    const vars: Vars = {};
    expect(check({ $not: 'running' }, 'done')).toEqual([]);
    expect(check({ $not: { $type: 'string' } }, 'done')).toEqual([{ path: 'json', message: 'matches, but must not ($not)' }]);
    expect(check({ $not: { $capture: 'x', $match: 1 } }, 2, vars)).toEqual([]);
    expect(vars).toEqual({});
  });

  it('$absent: true requires the key to be missing; false requires it present', () => {
    expect(check({ error: { $absent: true } }, { ok: 1 })).toEqual([]);
    expect(check({ error: { $absent: true } }, { error: null })).toEqual([{ path: 'json.error', message: 'must be absent' }]);
    expect(check({ error: { $absent: false } }, { error: null })).toEqual([]);
    expect(check({ error: { $absent: false } }, {})).toEqual([{ path: 'json.error', message: 'is absent' }]);
  });

  it('$length measures strings, arrays and objects, as a number or a matcher', () => {
    expect(check({ $length: 2 }, [1, 2])).toEqual([]);
    expect(check({ $length: 3 }, 'abc')).toEqual([]);
    expect(check({ $length: { $gte: 1 } }, { a: 1 })).toEqual([]);
    expect(check({ $length: 2 }, [1])).toEqual([{ path: 'json.$length', message: 'values differ' }]);
    expect(check({ $length: 2 }, 5)).toEqual([{ path: 'json', message: '$length needs a string, array or object, got number' }]);
  });

  it('$gte and $lte bound numbers', () => {
    expect(check({ $gte: 1, $lte: 3 }, 3)).toEqual([]);
    expect(check({ $gte: 1, $lte: 3 }, 0)).toEqual([{ path: 'json', message: 'expected >= 1' }]);
    expect(check({ $gte: 1, $lte: 3 }, 4)).toEqual([{ path: 'json', message: 'expected <= 3' }]);
    expect(check({ $gte: 1 }, '5')).toEqual([{ path: 'json', message: 'expected number, got string' }]);
  });

  it('$contains finds each listed matcher in its own element, in any order; on strings, a substring', () => {
    expect(check({ $contains: [{ k: 'b' }, { k: 'a' }] }, [{ k: 'a' }, { k: 'c' }, { k: 'b' }])).toEqual([]);
    expect(check({ $contains: [{ k: 'a' }, { k: 'a' }] }, [{ k: 'a' }])).toEqual([{ path: 'json', message: 'no element matches $contains[1]' }]);
    expect(check({ $contains: 'world' }, 'hello world')).toEqual([]);
    expect(check({ $contains: 'mars' }, 'hello world')).toEqual([{ path: 'json', message: 'does not contain the text' }]);
  });

  it('$eq compares a literal exactly, even one that looks like a matcher', () => {
    expect(check({ $eq: { a: 1 } }, { a: 1 })).toEqual([]);
    expect(check({ $eq: { a: 1 } }, { a: 1, b: 2 })).toEqual([{ path: 'json', message: 'values differ ($eq)' }]);
    expect(check({ $eq: '$uuid' }, '$uuid')).toEqual([]);
  });

  it('reports every failure of several operators on one value', () => {
    expect(check({ $type: 'string', $regex: '^a', $length: 5 }, 'bcd')).toEqual([
      { path: 'json', message: 'does not match /^a/' },
      { path: 'json.$length', message: 'values differ' },
    ]);
  });
});
