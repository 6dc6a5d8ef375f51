/**
 * Turns a tool call's argument text into the object a tool runs with. Models
 * often send numbers and booleans as strings, or an object as its JSON text;
 * values are converted to the types the tool's JSON Schema asks for. Values
 * that cannot be converted are left as they are for the tool to judge.
 */
export type DecodedArguments = { ok: true; args: Record<string, unknown> } | { ok: false; error: string };

type Schema = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function decodeArguments(raw: string, schema: Schema | undefined): DecodedArguments {
  let value: unknown;
  try {
    value = raw.trim() ? JSON.parse(raw) : {};
    // A double-encoded object: the JSON text of the JSON text.
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    return { ok: false, error: `the arguments are not valid JSON: ${raw.slice(0, 200)}` };
  }
  if (!isObject(value)) return { ok: false, error: 'the arguments must be a JSON object' };
  const args = schema ? coerce(value, schema) : value;
  return { ok: true, args: args as Record<string, unknown> };
}

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  if (isObject(schema.properties)) return ['object'];
  if (isObject(schema.items)) return ['array'];
  return [];
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const NUMBER = /^\s*-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** Converts `value` towards `schema`'s type; recurses into object properties and array items. */
export function coerce(value: unknown, schema: Schema): unknown {
  const types = typesOf(schema);
  const actual = jsonTypeOf(value);
  const fits = types.length === 0 || types.includes(actual) || (actual === 'integer' && types.includes('number'));
  if (!fits) value = convertScalar(value, types);
  if (isObject(value)) return coerceObject(value, schema);
  if (Array.isArray(value) && isObject(schema.items)) {
    const items = schema.items;
    return value.map((item) => coerce(item, items));
  }
  return value;
}

function convertScalar(value: unknown, types: string[]): unknown {
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if ((types.includes('number') || types.includes('integer')) && NUMBER.test(trimmed)) return Number(trimmed);
    if (types.includes('boolean') && /^(true|false)$/i.test(trimmed)) return trimmed.toLowerCase() === 'true';
    if (types.includes('null') && trimmed === 'null') return null;
    if (types.includes('object') || types.includes('array')) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        if (types.includes(jsonTypeOf(parsed))) return parsed;
      } catch {
        // Not JSON: left for the tool to reject.
      }
    }
    return value;
  }
  if ((typeof value === 'number' || typeof value === 'boolean') && types.includes('string')) return String(value);
  if (typeof value === 'number' && types.includes('boolean') && (value === 0 || value === 1)) return value === 1;
  return value;
}

function coerceObject(value: Record<string, unknown>, schema: Schema): Record<string, unknown> {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const sub = Object.hasOwn(properties, key) ? properties[key] : undefined;
    const converted = isObject(sub) ? coerce(item, sub) : extra ? coerce(item, extra) : item;
    // defineProperty: a `__proto__` key from the model stays a plain key.
    Object.defineProperty(out, key, { value: converted, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
