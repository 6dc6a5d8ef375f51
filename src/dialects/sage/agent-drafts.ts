import { ExecutorError } from '../../executors/executor.js';
import { parseJsonText } from '../../executors/json-output.js';
import { oneShot } from '../../executors/one-shot.js';
import { BUILT_IN_TOOL_NAMES } from '../../executors/tools.js';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { bodyObject } from './agent-dto.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/**
 * Drafts the default model writes for the agent editor: a whole agent from a
 * description, or a better system prompt. One model call each, no task, no
 * tools; nothing is stored (the editor saves through create/update).
 */
const GENERATE_SYSTEM = `You design AI agents. Answer with ONE JSON object and nothing else:
{"name": string, "description": string, "systemPrefix": string, "availableTools": string[]}.
systemPrefix is a complete system prompt for the agent, in the language of the user's description.
availableTools may only name tools from the list the user gives.`;

const OPTIMIZE_SYSTEM = `You improve system prompts for AI agents. Rewrite the prompt the user gives so it is clear,
structured and complete, keeping its intent and language. Answer with the improved prompt only.`;

function requiredText(body: Record<string, unknown>, field: string, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || !value.trim() || value.length > max) {
    throw sageError('invalid_argument', { 'zh-CN': `缺少或无效的 ${field}`, en: `${field} is missing or invalid` }, { field });
  }
  return value.trim();
}

export function agentDraftHandlers(c: SageContext): Record<string, Handler> {
  const ask = async (system: string, user: string): Promise<string> => {
    try {
      const text = await oneShot({ config: c.config }, { system, user });
      if (!text) throw new ExecutorError('the model gave an empty answer');
      return text;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      c.logger.warn({ err: reason }, 'sage agent draft: model call failed');
      throw sageError('unavailable', { 'zh-CN': `模型调用失败: ${reason}`, en: `the model call failed: ${reason}` });
    }
  };

  return {
    /** `{agent_description, available_tools?}` → an AgentConfigDTO draft (no id: not saved). */
    agentAutoGenerate: asUser(async (ctx) => {
      const body = bodyObject(ctx.request.body);
      const description = requiredText(body, 'agent_description', 10_000);
      const asked = Array.isArray(body.available_tools) ? body.available_tools.filter((t): t is string => typeof t === 'string') : [];
      const offered = asked.length ? asked.filter((t) => BUILT_IN_TOOL_NAMES.includes(t)) : [...BUILT_IN_TOOL_NAMES];
      const text = await ask(GENERATE_SYSTEM, `Description:\n${description}\n\nAvailable tools: ${JSON.stringify(offered)}`);
      let draft: Record<string, unknown> = {};
      try {
        const parsed = parseJsonText(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) draft = parsed as Record<string, unknown>;
      } catch {
        // A model that ignored the format still wrote a usable prompt.
        draft = { systemPrefix: text };
      }
      const str = (v: unknown, fallback: string) => (typeof v === 'string' && v.trim() ? v.trim() : fallback);
      const tools = Array.isArray(draft.availableTools) ? draft.availableTools.filter((t): t is string => typeof t === 'string' && offered.includes(t)) : [];
      return {
        id: '',
        name: str(draft.name, description.slice(0, 40)),
        description: str(draft.description, description),
        systemPrefix: str(draft.systemPrefix, text),
        availableTools: [...new Set(tools)],
        availableSkills: [],
        availableKnowledgeBases: [],
        availableSubAgentIds: [],
        memoryType: 'session',
        maxLoopCount: 10,
        deepThinking: false,
        multiAgent: false,
        agentMode: 'simple',
        thinkingLevel: 'medium',
      };
    }),

    /** `{original_prompt, optimization_goal?}` → `{optimized_prompt, original_prompt, optimization_details}`. */
    agentOptimizeSystemPrompt: asUser(async (ctx) => {
      const body = bodyObject(ctx.request.body);
      const original = requiredText(body, 'original_prompt', 200_000);
      const goal = typeof body.optimization_goal === 'string' ? body.optimization_goal.trim() : '';
      const user = goal ? `Goal of the rewrite: ${goal}\n\nPrompt:\n${original}` : `Prompt:\n${original}`;
      const optimized = await ask(OPTIMIZE_SYSTEM, user);
      return {
        optimized_prompt: optimized,
        original_prompt: original,
        optimization_goal: goal,
        optimization_details: { original_length: original.length, optimized_length: optimized.length, optimization_goal: goal || null },
      };
    }),
  };
}
