import type { Tool } from './executor.js';

/**
 * Built-in tools an agent can name in config (`tools: [calculator]`). Each
 * one is pure and quick; tools that reach outside the process belong in
 * their own module.
 */

const MAX_EXPRESSION = 1_000;
const MAX_DEPTH = 64;

// Maps, not plain objects: a name like `constructor` must not reach Object.prototype.
const FUNCTIONS = new Map<string, (...args: number[]) => number>(
  Object.entries({
    sqrt: Math.sqrt,
    abs: Math.abs,
    round: Math.round,
    floor: Math.floor,
    ceil: Math.ceil,
    trunc: Math.trunc,
    min: Math.min,
    max: Math.max,
    pow: Math.pow,
    exp: Math.exp,
    ln: Math.log,
    log: Math.log10,
    log10: Math.log10,
    log2: Math.log2,
    sin: Math.sin,
    cos: Math.cos,
    tan: Math.tan,
    asin: Math.asin,
    acos: Math.acos,
    atan: Math.atan,
  }),
);
const CONSTANTS = new Map<string, number>([
  ['pi', Math.PI],
  ['e', Math.E],
  ['tau', 2 * Math.PI],
]);

type Token = { kind: 'num'; value: number } | { kind: 'name'; value: string } | { kind: 'op'; value: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([a-zA-Z_][a-zA-Z0-9_]*)|(\*\*|[-+*/%^(),×÷]))/y;
  let at = 0;
  while (at < source.length) {
    if (!source.slice(at).trim()) break;
    pattern.lastIndex = at;
    const match = pattern.exec(source);
    if (!match) throw new Error(`unexpected character "${source.slice(at).trim()[0]}" in the expression`);
    at = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: 'num', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'name', value: match[2].toLowerCase() });
    else {
      const op = match[3]!;
      tokens.push({ kind: 'op', value: op === '×' ? '*' : op === '÷' ? '/' : op === '**' ? '^' : op });
    }
  }
  return tokens;
}

/**
 * Evaluates arithmetic with a recursive-descent parser: + - * / % ^ (or **),
 * parentheses, unary signs, the functions and constants above. Nothing is
 * evaluated as code, so an expression can only ever compute a number.
 */
export function calculate(expression: string): number {
  if (expression.length > MAX_EXPRESSION) throw new Error(`the expression is longer than ${MAX_EXPRESSION} characters`);
  const tokens = tokenize(expression);
  let pos = 0;
  let depth = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isOp = (value: string): boolean => {
    const t = peek();
    return t?.kind === 'op' && t.value === value;
  };
  const expect = (value: string): void => {
    if (!isOp(value)) throw new Error(`expected "${value}" in the expression`);
    pos++;
  };
  const nested = <T>(parse: () => T): T => {
    if (++depth > MAX_DEPTH) throw new Error('the expression is nested too deeply');
    try {
      return parse();
    } finally {
      depth--;
    }
  };

  const expr = (): number =>
    nested(() => {
      let value = term();
      while (isOp('+') || isOp('-')) {
        const op = tokens[pos++]!.value;
        const right = term();
        value = op === '+' ? value + right : value - right;
      }
      return value;
    });
  const term = (): number => {
    let value = unary();
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[pos++]!.value;
      const right = unary();
      if ((op === '/' || op === '%') && right === 0) throw new Error('division by zero');
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  };
  // Signs bind looser than powers: -2^2 is -4.
  const unary = (): number =>
    nested(() => {
      if (isOp('-')) {
        pos++;
        return -unary();
      }
      if (isOp('+')) {
        pos++;
        return unary();
      }
      const base = primary();
      if (!isOp('^')) return base;
      pos++;
      return base ** unary();
    });
  const primary = (): number => {
    const token = tokens[pos++];
    if (!token) throw new Error('the expression ended too early');
    if (token.kind === 'num') return token.value;
    if (token.kind === 'op') {
      if (token.value !== '(') throw new Error(`unexpected "${token.value}" in the expression`);
      const value = expr();
      expect(')');
      return value;
    }
    const fn = FUNCTIONS.get(token.value);
    if (fn && isOp('(')) {
      pos++;
      const args: number[] = [];
      if (!isOp(')')) {
        args.push(expr());
        while (isOp(',')) {
          pos++;
          args.push(expr());
        }
      }
      expect(')');
      return fn(...args);
    }
    const constant = CONSTANTS.get(token.value);
    if (constant === undefined) throw new Error(`unknown name "${token.value}" in the expression`);
    return constant;
  };

  if (tokens.length === 0) throw new Error('the expression is empty');
  const value = expr();
  if (pos < tokens.length) throw new Error(`unexpected "${String(tokens[pos]!.value)}" in the expression`);
  if (!Number.isFinite(value)) throw new Error('the result is not a finite number');
  return value;
}

const calculator: Tool = {
  name: 'calculator',
  description:
    'Evaluates an arithmetic expression exactly as written. Supports + - * / % ^, parentheses, ' +
    'sqrt, abs, round, floor, ceil, min, max, pow, exp, ln, log (base 10), log2, sin, cos, tan, pi and e.',
  parameters: {
    type: 'object',
    properties: { expression: { type: 'string', description: 'For example "(3 + 4) * 2 ^ 3".' } },
    required: ['expression'],
    additionalProperties: false,
  },
  run(args) {
    const expression = args.expression;
    if (typeof expression !== 'string') return Promise.reject(new Error('"expression" must be a string'));
    return Promise.resolve({ expression, result: calculate(expression) });
  },
};

const currentTime: Tool = {
  name: 'current_time',
  description: 'The current date and time, in UTC or in the given IANA time zone (such as "Europe/Paris").',
  parameters: {
    type: 'object',
    properties: { timezone: { type: 'string', description: 'An IANA time zone name; UTC when omitted.' } },
    additionalProperties: false,
  },
  run(args) {
    const timezone = typeof args.timezone === 'string' && args.timezone.trim() ? args.timezone.trim() : 'UTC';
    const now = new Date();
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone: timezone,
        dateStyle: 'short',
        timeStyle: 'medium',
        hourCycle: 'h23',
      });
    } catch {
      return Promise.reject(new Error(`unknown time zone "${timezone}"`));
    }
    const weekday = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'long' }).format(now);
    return Promise.resolve({ iso: now.toISOString(), timezone, local: format.format(now), weekday });
  },
};

const BUILT_IN: ReadonlyMap<string, Tool> = new Map([calculator, currentTime].map((tool) => [tool.name, tool]));

/** The names config may use in an agent's `tools` list. */
export const BUILT_IN_TOOL_NAMES: readonly string[] = [...BUILT_IN.keys()];

/** The tools with these names, in the same order. Throws naming the first unknown name. */
export function lookupTools(names: string[]): Tool[] {
  return names.map((name) => {
    const tool = BUILT_IN.get(name);
    if (!tool) throw new Error(`unknown tool "${name}" (known tools: ${BUILT_IN_TOOL_NAMES.join(', ')})`);
    return tool;
  });
}
