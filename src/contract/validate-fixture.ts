// Turns a parsed YAML document into a typed Scenario, or lists every problem with
// the path of the bad key. Unknown keys are refused: in a contract, a misspelled
// `expcet:` silently checking nothing would be worse than an error.

import { VAR_NAME } from './interpolate.js';
import { checkMatcher, checkTemplate } from './matcher-syntax.js';
import { childPath, isRecord } from './json-values.js';
import type { FixtureIssue } from './fixture-error.js';
import type {
  ExpectSpec, HttpMethod, JsonValue, Matcher, MultipartValue, QueryValue, RepeatUntil, RequestSpec, Scenario,
  Step, StreamExpect, Vars,
} from './types.js';

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

class Checker {
  readonly issues: FixtureIssue[] = [];
  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }
  /** Returns the value as a record, reporting unknown keys; undefined (and reported) when not a mapping. */
  record(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (!isRecord(value)) {
      this.add(path, `must be a mapping, got ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(childPath(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
    }
    return value;
  }
  string(value: unknown, path: string, required = false): string | undefined {
    if (value === undefined) {
      if (required) this.add(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value === '') this.add(path, 'must be a non-empty string');
    return typeof value === 'string' ? value : undefined;
  }
  integer(value: unknown, path: string, min: number): number | undefined {
    if (value === undefined) return undefined;
    if (!Number.isInteger(value) || (value as number) < min) this.add(path, `must be an integer >= ${min}`);
    return value as number;
  }
  boolean(value: unknown, path: string): boolean | undefined {
    if (value !== undefined && typeof value !== 'boolean') this.add(path, 'must be true or false');
    return value as boolean | undefined;
  }
  matcher(value: unknown, path: string): Matcher {
    const nested: FixtureIssue[] = [];
    checkMatcher(value, path, nested);
    this.issues.push(...nested);
    return value as Matcher;
  }
  template(value: string, path: string): void {
    checkTemplate(value, path, (at, message) => this.add(at, message));
  }
  templates(value: unknown, path: string): void {
    if (typeof value === 'string') this.template(value, path);
    else if (Array.isArray(value)) value.forEach((item, i) => this.templates(item, childPath(path, i)));
    else if (isRecord(value)) for (const [key, item] of Object.entries(value)) this.templates(item, childPath(path, key));
  }
}

/** Validates one parsed fixture document; the caller attaches the file to the issues. */
export function validateScenario(raw: unknown): { scenario?: Scenario; issues: FixtureIssue[] } {
  const c = new Checker();
  const doc = c.record(raw, '', ['name', 'description', 'vars', 'steps']);
  if (!doc) return { issues: c.issues };
  const name = c.string(doc.name, 'name', true);
  const description = c.string(doc.description, 'description');
  const vars: Vars = {};
  if (doc.vars !== undefined) {
    const given = c.record(doc.vars, 'vars', Object.keys(isRecord(doc.vars) ? doc.vars : {}));
    for (const [key, value] of Object.entries(given ?? {})) {
      if (!VAR_NAME.test(key)) c.add(childPath('vars', key), 'variable names use letters, digits and _ and do not start with a digit');
      vars[key] = value;
    }
  }
  const steps: Step[] = [];
  if (!Array.isArray(doc.steps) || doc.steps.length === 0) c.add('steps', 'must be a non-empty list of steps');
  else doc.steps.forEach((step, i) => {
    const parsed = validateStep(c, step, childPath('steps', i));
    if (parsed) steps.push(parsed);
  });
  if (c.issues.length > 0 || name === undefined) return { issues: c.issues };
  return { scenario: { name, ...(description === undefined ? {} : { description }), vars, steps }, issues: [] };
}

function validateStep(c: Checker, raw: unknown, path: string): Step | undefined {
  const step = c.record(raw, path, ['name', 'request', 'expect', 'repeat_until']);
  if (!step) return undefined;
  const name = c.string(step.name, childPath(path, 'name'), true);
  const request = step.request === undefined
    ? (c.add(childPath(path, 'request'), 'is required'), undefined)
    : validateRequest(c, step.request, childPath(path, 'request'));
  const expect = step.expect === undefined ? undefined : validateExpect(c, step.expect, childPath(path, 'expect'));
  const repeat = step.repeat_until === undefined ? undefined : validateRepeat(c, step.repeat_until, childPath(path, 'repeat_until'));
  if (repeat && expect?.stream) c.add(childPath(path, 'repeat_until'), 'cannot poll a streamed response (expect.stream)');
  if (name === undefined || request === undefined) return undefined;
  return { name, request, ...(expect ? { expect } : {}), ...(repeat ? { repeat_until: repeat } : {}) };
}

function validateRequest(c: Checker, raw: unknown, path: string): RequestSpec | undefined {
  const req = c.record(raw, path, ['method', 'path', 'headers', 'query', 'json', 'body', 'multipart', 'timeout_ms']);
  if (!req) return undefined;
  const method = (typeof req.method === 'string' ? req.method.toUpperCase() : req.method ?? 'GET') as HttpMethod;
  if (!METHODS.includes(method)) c.add(childPath(path, 'method'), `must be one of ${METHODS.join(', ')}`);
  const target = c.string(req.path, childPath(path, 'path'), true);
  if (target !== undefined) {
    if (!/^(\/|https?:\/\/|\$\{)/.test(target)) c.add(childPath(path, 'path'), 'must start with / (or be an absolute http(s) URL)');
    c.template(target, childPath(path, 'path'));
  }
  const out: RequestSpec = { method, path: target ?? '/' };
  if (req.headers !== undefined) out.headers = scalarMap(c, req.headers, childPath(path, 'headers'));
  if (req.query !== undefined) out.query = validateQuery(c, req.query, childPath(path, 'query'));
  const bodies = ['json', 'body', 'multipart'].filter((key) => req[key] !== undefined);
  if (bodies.length > 1) c.add(path, `holds ${bodies.join(' and ')}: a request has at most one body`);
  if (req.json !== undefined) {
    c.templates(req.json, childPath(path, 'json'));
    out.json = req.json as JsonValue;
  }
  if (req.body !== undefined) {
    if (typeof req.body !== 'string') c.add(childPath(path, 'body'), 'must be a string (use json: for structured bodies)');
    else c.template(req.body, childPath(path, 'body'));
    out.body = String(req.body);
  }
  if (req.multipart !== undefined) out.multipart = validateMultipart(c, req.multipart, childPath(path, 'multipart'));
  const timeout = c.integer(req.timeout_ms, childPath(path, 'timeout_ms'), 1);
  if (timeout !== undefined) out.timeout_ms = timeout;
  return out;
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function scalarMap(c: Checker, raw: unknown, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(c.record(raw, path, Object.keys(isRecord(raw) ? raw : {})) ?? {})) {
    if (!isScalar(value)) c.add(childPath(path, key), 'must be a string, number or boolean');
    else c.template(String(value), childPath(path, key));
    out[key] = String(value);
  }
  return out;
}

function validateQuery(c: Checker, raw: unknown, path: string): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const [key, value] of Object.entries(c.record(raw, path, Object.keys(isRecord(raw) ? raw : {})) ?? {})) {
    const ok = isScalar(value) || (Array.isArray(value) && value.every(isScalar));
    if (!ok) c.add(childPath(path, key), 'must be a string, number, boolean or a list of them');
    else c.templates(value, childPath(path, key));
    out[key] = value as QueryValue;
  }
  return out;
}

function validateMultipart(c: Checker, raw: unknown, path: string): Record<string, MultipartValue> {
  const out: Record<string, MultipartValue> = {};
  for (const [key, value] of Object.entries(c.record(raw, path, Object.keys(isRecord(raw) ? raw : {})) ?? {})) {
    const at = childPath(path, key);
    if (isScalar(value)) {
      c.template(String(value), at);
      out[key] = value;
      continue;
    }
    const file = c.record(value, at, ['filename', 'content', 'content_base64', 'content_type']);
    if (!file) continue;
    c.string(file.filename, childPath(at, 'filename'), true);
    c.string(file.content_type, childPath(at, 'content_type'));
    if ((file.content === undefined) === (file.content_base64 === undefined)) c.add(at, 'needs exactly one of content and content_base64');
    if (file.content !== undefined && typeof file.content !== 'string') c.add(childPath(at, 'content'), 'must be a string');
    if (typeof file.content === 'string') c.template(file.content, childPath(at, 'content'));
    if (file.content_base64 !== undefined && (typeof file.content_base64 !== 'string' || !/^[A-Za-z0-9+/\s]*=*\s*$/.test(file.content_base64))) {
      c.add(childPath(at, 'content_base64'), 'must be base64 text');
    }
    out[key] = file as unknown as MultipartValue;
  }
  return out;
}

function validateMatchers(c: Checker, raw: Record<string, unknown>, path: string, target: ExpectSpec | RepeatUntil): void {
  if (raw.status !== undefined) target.status = c.matcher(raw.status, childPath(path, 'status'));
  if (raw.json !== undefined) target.json = c.matcher(raw.json, childPath(path, 'json'));
  if (raw.text !== undefined) target.text = c.matcher(raw.text, childPath(path, 'text'));
  if (raw.headers !== undefined) {
    const headers: Record<string, Matcher> = {};
    const at = childPath(path, 'headers');
    for (const [name, matcher] of Object.entries(c.record(raw.headers, at, Object.keys(isRecord(raw.headers) ? raw.headers : {})) ?? {})) {
      const lower = name.toLowerCase();
      if (lower in headers) c.add(childPath(at, name), 'is listed twice (header names are case-insensitive)');
      // Header values are text: a bare `content-length: 12` means the text "12".
      const asText = typeof matcher === 'number' || typeof matcher === 'boolean' ? String(matcher) : matcher;
      headers[lower] = c.matcher(asText, childPath(at, name));
    }
    target.headers = headers;
  }
}

function validateExpect(c: Checker, raw: unknown, path: string): ExpectSpec | undefined {
  const exp = c.record(raw, path, ['status', 'headers', 'json', 'text', 'stream']);
  if (!exp) return undefined;
  const out: ExpectSpec = {};
  validateMatchers(c, exp, path, out);
  if (exp.stream !== undefined) {
    if (exp.json !== undefined || exp.text !== undefined) c.add(childPath(path, 'stream'), 'cannot be combined with json or text: the body is read as frames');
    const stream = validateStream(c, exp.stream, childPath(path, 'stream'));
    if (stream) out.stream = stream;
  }
  return out;
}

function validateStream(c: Checker, raw: unknown, path: string): StreamExpect | undefined {
  const s = c.record(raw, path, ['format', 'frames', 'strict', 'complete', 'until', 'timeout_ms']);
  if (!s) return undefined;
  const out: StreamExpect = { frames: [] };
  if (s.format !== undefined) {
    if (s.format !== 'sse' && s.format !== 'ndjson') c.add(childPath(path, 'format'), 'must be sse or ndjson');
    out.format = s.format as 'sse' | 'ndjson';
  }
  if (s.frames !== undefined) {
    if (!Array.isArray(s.frames)) c.add(childPath(path, 'frames'), 'must be a list of frame matchers');
    else out.frames = s.frames.map((frame, i) => c.matcher(frame, childPath(childPath(path, 'frames'), i)));
  }
  const strict = c.boolean(s.strict, childPath(path, 'strict'));
  const complete = c.boolean(s.complete, childPath(path, 'complete'));
  if (strict !== undefined) out.strict = strict;
  if (complete !== undefined) out.complete = complete;
  if (s.until !== undefined) {
    out.until = c.matcher(s.until, childPath(path, 'until'));
    if (complete === true) c.add(childPath(path, 'until'), 'reading stops at `until`, so `complete: true` cannot be checked: use one of them');
  }
  const timeout = c.integer(s.timeout_ms, childPath(path, 'timeout_ms'), 1);
  if (timeout !== undefined) out.timeout_ms = timeout;
  return out;
}

function validateRepeat(c: Checker, raw: unknown, path: string): RepeatUntil | undefined {
  const r = c.record(raw, path, ['status', 'headers', 'json', 'text', 'interval_ms', 'max']);
  if (!r) return undefined;
  const out: RepeatUntil = {};
  validateMatchers(c, r, path, out);
  if (out.status === undefined && out.headers === undefined && out.json === undefined && out.text === undefined) {
    c.add(path, 'needs a condition: status, headers, json or text');
  }
  const interval = c.integer(r.interval_ms, childPath(path, 'interval_ms'), 0);
  const max = c.integer(r.max, childPath(path, 'max'), 1);
  if (interval !== undefined) out.interval_ms = interval;
  if (max !== undefined) out.max = max;
  return out;
}
