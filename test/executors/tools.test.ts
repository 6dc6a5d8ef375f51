/** The built-in tools agents can name in config. */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_TOOL_NAMES, calculate, lookupTools } from '../../src/executors/tools.js';

const signal = new AbortController().signal;

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['2 ** 10', 1024],
    ['-2 ^ 2', -4],
    ['10 / 4', 2.5],
    ['10 % 4', 2],
    ['--3', 3],
    ['1.5e3 + .5', 1500.5],
    ['sqrt(16) + abs(-2)', 6],
    ['max(1, 7, 3) - min(4, 2)', 5],
    ['round(pi * 100) / 100', 3.14],
    ['log(1000) + ln(e)', 4],
    ['6 × 7 ÷ 2', 21],
  ])('computes %s = %d', (expression, expected) => {
    expect(calculate(expression)).toBeCloseTo(expected, 10);
  });

  it.each([
    ['', /empty/],
    ['1 +', /ended too early/],
    ['(1 + 2', /expected "\)"/],
    ['1 / 0', /division by zero/],
    ['process.exit(1)', /unexpected character|unknown name/],
    ['constructor', /unknown name "constructor"/],
    ['2 3', /unexpected "3"/],
    ['sqrt(-1)', /not a finite number/],
    ['('.repeat(200) + '1' + ')'.repeat(200), /nested too deeply/],
  ])('rejects %s', (expression, message) => {
    expect(() => calculate(expression)).toThrow(message);
  });

  it('runs as a tool and reports the expression with its result', async () => {
    const [calculator] = lookupTools(['calculator']);
    await expect(calculator!.run({ expression: '3 * (4 + 1)' }, { signal })).resolves.toEqual({
      expression: '3 * (4 + 1)',
      result: 15,
    });
    await expect(calculator!.run({ expression: 42 }, { signal })).rejects.toThrow(/must be a string/);
  });
});

describe('current_time', () => {
  it('gives the time in UTC by default and in a named time zone', async () => {
    const [clock] = lookupTools(['current_time']);
    const utc = (await clock!.run({}, { signal })) as { iso: string; timezone: string; local: string; weekday: string };
    expect(utc.timezone).toBe('UTC');
    expect(Math.abs(Date.parse(utc.iso) - Date.now())).toBeLessThan(60_000);
    expect(utc.local).toMatch(/^\d{4}-\d{2}-\d{2}, \d{2}:\d{2}:\d{2}$/);
    const tokyo = (await clock!.run({ timezone: 'Asia/Tokyo' }, { signal })) as { timezone: string; weekday: string };
    expect(tokyo.timezone).toBe('Asia/Tokyo');
    expect(tokyo.weekday).toMatch(/day$/);
  });

  it('rejects an unknown time zone', async () => {
    const [clock] = lookupTools(['current_time']);
    await expect(clock!.run({ timezone: 'Mars/Olympus' }, { signal })).rejects.toThrow(/unknown time zone "Mars\/Olympus"/);
  });
});

describe('lookupTools', () => {
  it('returns the named tools in order', () => {
    expect(lookupTools(['current_time', 'calculator']).map((t) => t.name)).toEqual(['current_time', 'calculator']);
    expect(BUILT_IN_TOOL_NAMES).toEqual(['calculator', 'current_time']);
  });

  it('throws on an unknown name', () => {
    expect(() => lookupTools(['calculator', 'web_search'])).toThrow(/unknown tool "web_search"/);
  });
});
