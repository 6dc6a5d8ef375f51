import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { DialectName } from '../config/types.js';
import type { RouteSpec, RouteTable } from './dialect.js';
import { SCHEME_NAMES } from './credentials.js';
import { ROUTE_TABLE_DIR } from '../paths.js';

/** What a route needs, declared per route or once in the table's `defaults`. */
const needs = {
  auth: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: SCHEME_NAMES } },
  body: { enum: ['none', 'json', 'multipart'] },
  token_query: { type: 'string', pattern: '^[a-z_]+$' },
  body_limit: { type: 'string', pattern: '^[0-9]+(b|kb|mb)$' },
};

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['base', 'defaults', 'routes'],
  properties: {
    base: { type: 'string' },
    defaults: { type: 'object', additionalProperties: false, required: ['auth', 'body'], properties: needs },
    routes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['method', 'path', 'operation'],
        properties: {
          method: { enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] },
          path: { type: 'string', pattern: '^/' },
          operation: { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_]*$' },
          status: { type: 'integer', minimum: 200, maximum: 299 },
          concurrency: { enum: ['reject', 'enqueue', 'interrupt'] },
          ...needs,
        },
      },
    },
  },
};

type Needs = Pick<RouteSpec, 'auth' | 'body'> & { token_query?: string; body_limit?: string };
type RawTable = { base: string; defaults: Needs; routes: (Omit<RouteSpec, 'auth' | 'body' | 'tokenQuery' | 'bodyLimit'> & Partial<Needs>)[] };

/**
 * Reads `config/dialects/<name>.yaml`. Paths may use the documents' `{param}`
 * style; they are turned into the router's `:param` style here. Every route
 * ends up with its auth and body: its own, else the table's defaults.
 */
export function loadRouteTable(dialect: DialectName, dir = ROUTE_TABLE_DIR): RouteTable {
  const file = join(dir, `${dialect}.yaml`);
  const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
  const validate = new Ajv({ allErrors: true }).compile(schema);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
    throw new Error(`invalid route table ${file}: ${problems.join('; ')}`);
  }
  const { base, defaults, routes } = raw as RawTable;
  return {
    dialect,
    base,
    routes: routes.map(({ token_query, body_limit, auth, body, ...route }) => {
      const resolved: RouteSpec = {
        ...route,
        path: route.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1'),
        auth: auth ?? defaults.auth,
        body: body ?? defaults.body,
      };
      const tokenQuery = token_query ?? defaults.token_query;
      const bodyLimit = body_limit ?? defaults.body_limit;
      if (tokenQuery) resolved.tokenQuery = tokenQuery;
      if (bodyLimit) resolved.bodyLimit = bodyLimit;
      if (resolved.auth.includes('none') && resolved.auth.length > 1) {
        throw new Error(`invalid route table ${file}: ${route.method} ${route.path}: auth "none" cannot be combined with other kinds`);
      }
      return resolved;
    }),
  };
}
