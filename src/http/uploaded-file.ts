import type { File } from 'formidable';
import type { EngineError } from '../engine/errors.js';

/** Why a multipart field is not exactly one file. */
export type UploadProblem = 'missing' | 'many';

/**
 * The one file of a multipart field (`ctx.request.files.<field>`), as the
 * body stage spooled it. No file, or several under the field, is refused with
 * the error the dialect words for that problem (each API has its own text).
 */
export function singleFile(value: File | File[] | undefined, refuse: (problem: UploadProblem) => EngineError): File {
  const files = value === undefined ? [] : Array.isArray(value) ? value : [value];
  if (files.length === 0) throw refuse('missing');
  if (files.length > 1) throw refuse('many');
  return files[0]!;
}
