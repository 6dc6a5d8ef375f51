/** The options of `dialects.bitagent` beyond every dialect's own (JSON Schema, part of the one config schema). */
export const bitAgentOptionsSchema = {
  token_ttl_seconds: { type: ['integer', 'null'], minimum: 1, default: 86_400 },
  session_agent: { type: 'string', minLength: 1 },
};
