// The contract-fixture format, typed. The field names mirror the YAML keys exactly
// (snake_case included), so this file doubles as the reference of what a fixture may
// hold; docs/contract-fixtures.md explains the meaning with examples.

/** A value as YAML or JSON can produce it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * A matcher tree as written in a fixture: a literal, or an object of `$operators`
 * (`$type`, `$regex`, `$capture`, ...). Its rules live in matchers.ts.
 */
export type Matcher = JsonValue;

/** Scenario variables: initial `vars`, `--var` values and `$capture`d values. */
export type Vars = Record<string, unknown>;

/** One fixture file: one scenario, run top to bottom. */
export interface Scenario {
  name: string;
  description?: string;
  /** The file the scenario was loaded from; absent for scenarios built in code. */
  file?: string;
  vars: Vars;
  steps: Step[];
}

export interface Step {
  name: string;
  request: RequestSpec;
  /** Absent: the step passes as soon as any response arrives. */
  expect?: ExpectSpec;
  /** Repeats the request until the condition holds; not allowed with `expect.stream`. */
  repeat_until?: RepeatUntil;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export type QueryValue = string | number | boolean | Array<string | number | boolean>;

export interface RequestSpec {
  method: HttpMethod;
  /** Joined to the base URL (which may carry a path prefix); an absolute http(s) URL is used as is. */
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, QueryValue>;
  /** At most one of `json`, `body`, `multipart`. */
  json?: JsonValue;
  body?: string;
  multipart?: Record<string, MultipartValue>;
  /** Time allowed until the response headers (and, without a stream, the whole body) arrive. */
  timeout_ms?: number;
}

export type MultipartValue = string | number | boolean | MultipartFile;

export interface MultipartFile {
  filename: string;
  /** Exactly one of `content` (text, interpolated) and `content_base64` (bytes). */
  content?: string;
  content_base64?: string;
  content_type?: string;
}

/** What the response must look like; every part is optional and checked in this order. */
export interface ExpectSpec {
  status?: Matcher;
  /** Header names are compared case-insensitively; a missing header is `undefined`. */
  headers?: Record<string, Matcher>;
  json?: Matcher;
  text?: Matcher;
  /** Not combinable with `json` or `text`: the body is read as a stream of frames. */
  stream?: StreamExpect;
}

export type StreamFormat = 'sse' | 'ndjson';

export interface StreamExpect {
  /** Forces the framing; by default it follows the response content type. */
  format?: StreamFormat;
  /** Expected frames, in order: a subsequence of the received ones unless `strict`. */
  frames: Matcher[];
  strict?: boolean;
  /** The server must end the body before `timeout_ms`. */
  complete?: boolean;
  /** Reading stops after the first frame matching this; the frame must arrive. */
  until?: Matcher;
  /** Time allowed for reading the body once headers arrived; default 10000. */
  timeout_ms?: number;
}

/** A condition on the response polled before `expect` is checked. */
export interface RepeatUntil {
  status?: Matcher;
  headers?: Record<string, Matcher>;
  json?: Matcher;
  text?: Matcher;
  /** Pause between attempts; default 200. */
  interval_ms?: number;
  /** Most attempts, the first included; default 50. */
  max?: number;
}

/** One unmet expectation, located by a path such as `json.task_id` or `stream.frames[2].data`. */
export interface Failure {
  path: string;
  expected?: unknown;
  actual?: unknown;
  message: string;
}

export interface StepResult {
  name: string;
  passed: boolean;
  /** True when an earlier step failed and this one was not run. */
  skipped: boolean;
  failures: Failure[];
  /** The request as sent by the last attempt, for the report. */
  request?: { method: string; url: string };
  status?: number;
  attempts?: number;
}

export interface ScenarioResult {
  name: string;
  file?: string;
  passed: boolean;
  steps: StepResult[];
}

export interface RunOptions {
  baseUrl: string;
  /** Added to (and overriding) the scenario's own `vars`. */
  vars?: Vars;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}
