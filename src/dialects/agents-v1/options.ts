/** The options of `dialects.agents-v1` beyond every dialect's own (JSON Schema, part of the one config schema). */
export const agentsV1OptionsSchema = {
  default_agent: { type: 'string', minLength: 1 },
};
