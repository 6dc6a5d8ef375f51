import type { Usage } from '../../engine/events.js';

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads token usage from one chunk (or a whole non-streamed response):
 * top-level `usage`, or `choices[0].usage` (Kimi). Cached prompt tokens come
 * as `prompt_tokens_details.cached_tokens` (OpenAI), `prompt_cache_hit_tokens`
 * (DeepSeek) or `cached_tokens`. Undefined when the chunk carries none.
 */
export function readUsage(chunk: Record<string, unknown>): Usage | undefined {
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  const first: unknown = choices[0];
  const raw = isObject(chunk.usage) ? chunk.usage : isObject(first) && isObject(first.usage) ? first.usage : undefined;
  if (!raw) return undefined;
  const prompt = num(raw.prompt_tokens) ?? num(raw.input_tokens);
  const completion = num(raw.completion_tokens) ?? num(raw.output_tokens);
  if (prompt === undefined && completion === undefined) return undefined;
  const details = isObject(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const cached = num(details.cached_tokens) ?? num(raw.prompt_cache_hit_tokens) ?? num(raw.cached_tokens);
  const usage: Usage = {
    promptTokens: prompt ?? 0,
    completionTokens: completion ?? 0,
    totalTokens: num(raw.total_tokens) ?? (prompt ?? 0) + (completion ?? 0),
  };
  if (cached !== undefined) usage.cachedTokens = cached;
  return usage;
}

/** Sums two usages; either may be missing. `cachedTokens` is kept when either side has it. */
export function addUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b && { ...b };
  if (!b) return { ...a };
  const sum: Usage = {
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  if (a.cachedTokens !== undefined || b.cachedTokens !== undefined) {
    sum.cachedTokens = (a.cachedTokens ?? 0) + (b.cachedTokens ?? 0);
  }
  return sum;
}
