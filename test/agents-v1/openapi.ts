import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { PACKAGE_ROOT } from '../../src/paths.js';

/**
 * Validates response bodies against the Agents API v1 document itself
 * (specs/agents-v1.openapi.yaml) with a JSON Schema validator: the schema of
 * `paths[path][method].responses[status].content[type].schema`, `$ref`s
 * resolved inside the document. OpenAPI 3.0's `nullable` is honoured;
 * its `format`s that JSON Schema lacks (double, binary) are accepted as is.
 */
const SPEC_ID = 'agents-v1.openapi';
const document = parseYaml(readFileSync(join(PACKAGE_ROOT, 'specs', 'agents-v1.openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
};

// strict: false lets the document's OpenAPI-only keywords (`example`) pass.
const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
ajv.addFormat('binary', true);
ajv.addSchema(document, SPEC_ID);

const cache = new Map<string, ValidateFunction>();
const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The documented path a request path matches (`/api/v1/tasks/abc` → `/api/v1/tasks/{task_id}`). */
function documentedPath(path: string): string {
  const bare = path.split('?')[0]!;
  const found = Object.keys(document.paths).find((p) => new RegExp(`^${p.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(bare));
  if (!found) throw new Error(`no documented path matches ${bare}`);
  return found;
}

/**
 * Throws unless `body` is valid for the documented response `status` of
 * `method path` (content type application/json). An undocumented success
 * status fails; an undocumented error status must still be an ErrorResponse.
 */
export function assertDocumented(method: string, path: string, status: number, body: unknown): void {
  const documented = documentedPath(path);
  const operation = document.paths[documented]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${documented} is not documented`);
  const response = operation.responses[String(status)];
  // Errors the document does not list for an operation (404 for another user's conversation on
  // POST /messages, 413 for an oversized upload) still use its one error shape.
  if (!response && status < 400) throw new Error(`${method} ${documented} documents no ${status} response (body: ${JSON.stringify(body)})`);
  const key = response ? `${method} ${documented} ${status}` : 'ErrorResponse';
  let validate = cache.get(key);
  if (!validate) {
    const ref = response
      ? `${SPEC_ID}#/${pointer('paths', documented, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`
      : `${SPEC_ID}#/components/schemas/ErrorResponse`;
    validate = ajv.getSchema(ref);
    if (!validate) throw new Error(`no JSON schema at ${ref}`);
    cache.set(key, validate);
  }
  if (!validate(body)) {
    throw new Error(`${key}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  }
}

/** The media types the document allows for a response (for binary downloads). */
export function documentedTypes(method: string, path: string, status: number): string[] {
  const operation = document.paths[documentedPath(path)]?.[method.toLowerCase()];
  return Object.keys(operation?.responses[String(status)]?.content ?? {});
}
