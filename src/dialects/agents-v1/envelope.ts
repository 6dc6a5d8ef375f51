/**
 * The document's bodies are flat objects with `success: true` beside the
 * fields (`{success, task_id, ...}`, `{success, base, items}`; polling nests
 * its payload under `data` itself), so a handler returns the body without
 * `success` and it is added here. Anything that is not a plain object is
 * carried under `data`.
 */
export function agentsV1Envelope(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { success: true, data };
  return { success: true, ...data };
}
