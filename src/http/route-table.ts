import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { DialectName } from '../config/types.js';
import type { RouteTable } from './dialect.js';
import { ROUTE_TABLE_DIR } from '../paths.js';


const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['base', 'routes'],
  properties: {
    base: { type: 'string' },
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
        },
      },
    },
  },
};

/**
 * Reads `config/dialects/<name>.yaml`. Paths may use the documents' `{param}`
 * style; they are turned into the router's `:param` style here.
 */
export function loadRouteTable(dialect: DialectName, dir = ROUTE_TABLE_DIR): RouteTable {
  const file = join(dir, `${dialect}.yaml`);
  const raw: unknown = parseYaml(readFileSync(file, 'utf8'));
  const validate = new Ajv({ allErrors: true }).compile(schema);
  if (!validate(raw)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
    throw new Error(`invalid route table ${file}: ${problems.join('; ')}`);
  }
  const table = raw as Omit<RouteTable, 'dialect'>;
  return {
    dialect,
    base: table.base,
    routes: table.routes.map((r) => ({ ...r, path: r.path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1') })),
  };
}
