import type { ErrorObject, ValidateFunction } from 'ajv';
import { createSchemaValidator } from '../../json-schema.js';
import { EngineError, invalid } from '../../engine/errors.js';

/**
 * Checks task inputs against an ability's input schema. Validators are
 * compiled once per distinct schema text and kept (abilities are few and
 * their schemas change only with the config).
 */
const ajv = createSchemaValidator();

const MAX_CACHED = 256;
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch {
      throw new EngineError('internal', 'the ability has an unusable input schema');
    }
    if (validators.size >= MAX_CACHED) validators.delete(validators.keys().next().value!);
    validators.set(key, validate);
  }
  return validate;
}

/** Throws a 400 naming each failing field (`inputs.url`) when `inputs` does not satisfy `schema`. */
export function checkInputs(schema: Record<string, unknown> | undefined, inputs: Record<string, unknown>): void {
  if (!schema) return;
  const validate = validatorFor(schema);
  if (validate(inputs)) return;
  const problems = (validate.errors ?? []).map(describe);
  const unique = [...new Map(problems.map((p) => [p.text, p])).values()];
  throw invalid(unique.map((p) => p.text).join('; '), { field: unique[0]?.field ?? 'inputs', fields: unique.map((p) => p.field) });
}

function describe(error: ErrorObject): { field: string; text: string } {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') path.push(params.missingProperty);
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    const field = fieldName([...path, params.additionalProperty]);
    return { field, text: `${field} is not an allowed input` };
  }
  const field = fieldName(path);
  if (error.keyword === 'required') return { field, text: `${field} is required` };
  return { field, text: `${field} ${error.message ?? 'is invalid'}` };
}

function fieldName(path: string[]): string {
  return ['inputs', ...path].map((part, i) => (i > 0 && /^\d+$/.test(part) ? `[${part}]` : i > 0 ? `.${part}` : part)).join('');
}

/**
 * The inputs as text for the model and the conversation: one string input
 * is the question itself; anything else is one `name: value` line per input.
 */
export function inputsAsText(inputs: Record<string, unknown>, abilityName: string): string {
  const entries = Object.entries(inputs);
  if (entries.length === 0) return `Run the ability "${abilityName}".`;
  if (entries.length === 1 && typeof entries[0]![1] === 'string' && entries[0]![1].trim()) return entries[0]![1];
  return entries.map(([name, value]) => `${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`).join('\n');
}
