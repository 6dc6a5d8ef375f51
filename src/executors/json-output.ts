import type { ValidateFunction } from 'ajv';
import { createSchemaValidator } from '../json-schema.js';
import { ExecutorError } from './executor.js';

/**
 * Checks a run's JSON outputs against the agent's output schema. One Ajv
 * instance for the process; compiled validators are cached per schema object
 * (config is frozen at boot, so each agent's schema is one object).
 */
const ajv = createSchemaValidator();

const validators = new WeakMap<object, ValidateFunction>();

function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new ExecutorError(`the output schema is not usable: ${(err as Error).message}`, 'invalid_output');
    }
    validators.set(schema, validate);
  }
  return validate;
}

/**
 * The JSON value in a model's final text: the whole text, or the body of a
 * ```json fence (models add one even when asked for bare JSON). Throws
 * ExecutorError 'invalid_output' when there is none.
 */
export function parseJsonText(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /^```[a-zA-Z]*\s*\n?([\s\S]*?)\n?\s*```$/.exec(trimmed);
  const candidate = fenced ? fenced[1]!.trim() : trimmed;
  try {
    return JSON.parse(candidate);
  } catch {
    throw new ExecutorError('the model did not answer with JSON as the output schema requires', 'invalid_output');
  }
}

/** Throws ExecutorError 'invalid_output' naming every mismatch when `value` does not satisfy `schema`. */
export function validateOutputs(schema: Record<string, unknown>, value: unknown): void {
  const validate = validatorFor(schema);
  if (!validate(value)) {
    const problems = ajv.errorsText(validate.errors, { dataVar: 'outputs', separator: '; ' });
    throw new ExecutorError(`the model's outputs do not match the schema: ${problems}`, 'invalid_output');
  }
}

/** Parses the final text as JSON and validates it; returns the outputs. */
export function checkOutputs(schema: Record<string, unknown>, text: string): unknown {
  const value = parseJsonText(text);
  validateOutputs(schema, value);
  return value;
}
