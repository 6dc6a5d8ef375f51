import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  instance: Ajv,
) => void;

/**
 * The one way to make a validator for user-supplied JSON Schema (agent inputs
 * and outputs): every error reported, standard formats (`uri`, `date-time`, …)
 * understood, and unknown keywords tolerated, as schemas written for other
 * platforms carry some.
 */
export function createSchemaValidator(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}
