import type { Handler } from '../../http/dialect.js';
import { asUser } from '../../http/as-user.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import { BUILT_IN_TOOL_NAMES, lookupTools } from '../../executors/tools.js';
import type { SageContext } from './context.js';
import { agentDto, agentPatchOf, bodyObject } from './agent-dto.js';
import { defaultAgentId, managedAgent, sageWords, usableAgent } from './agent-access.js';
import { defaultSystemPrompt } from './agent-prompt-template.js';
import { localeOf, sageError } from './i18n.js';
import { agentWorkspaceHandlers } from './agent-workspace.js';
import { agentDraftHandlers } from './agent-drafts.js';

/**
 * Sage's agents are the engine's agents (OpenBee's workers, bit-Agent's
 * abilities): who may see, change and remove one is the engine's rule; this
 * file maps AgentConfigDTO and words the answers the Sage way.
 */
export function agentHandlers(c: SageContext): Record<string, Handler> {
  const { directory } = c.engine;

  return {
    agentList: asUser(async (_ctx, principal) => {
      const agents = await directory.allAgents(principal);
      const defaultId = defaultAgentId(c, agents);
      return agents.map((agent) => agentDto(agent, agent.id === defaultId));
    }),

    /**
     * The web UI's ability panel: it sends `{agent_id, session_id, context,
     * language}` (as a POST body; the query works too), reads `data.items` and
     * puts a clicked card's `promptText` into the input box. The original
     * asks a model for suggestions; here the cards are what the agent can
     * actually do: one per tool it may run, in the asked language (the
     * default agent when no agent_id is given).
     */
    agentAbilities: asUser(async (ctx, principal) => {
      const body = (typeof ctx.request.body === 'object' && ctx.request.body !== null ? ctx.request.body : {}) as Record<string, unknown>;
      const fromBody = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
      const asked = fromBody('agent_id') || queryParam(ctx, 'agent_id');
      const language = fromBody('language') || queryParam(ctx, 'language') || (localeOf(ctx.request) === 'en' ? 'en' : 'zh');
      const en = language.toLowerCase().startsWith('en');
      const agentId = asked || defaultAgentId(c, await directory.allAgents(principal));
      if (!agentId) return { agent_id: null, items: [] };
      const agent = await usableAgent(c, principal, agentId);
      // Another API may have stored a tool name the engine lacks: it is no ability.
      const items = lookupTools(agent.tools.filter((t) => BUILT_IN_TOOL_NAMES.includes(t))).map((tool) => ({
        id: tool.name,
        title: tool.name,
        description: tool.description,
        promptText: en ? `Use ${tool.name} to help me: ` : `请使用 ${tool.name} 帮我：`,
      }));
      return { agent_id: agent.id, items };
    }),

    agentDefaultSystemPrompt: asUser(async (ctx) => {
      const language = queryParam(ctx, 'language') ?? 'zh';
      if (!/^(zh|en)([-_].*)?$/i.test(language)) {
        throw sageError('invalid_argument', { 'zh-CN': `不支持的语言: ${language}（可选 zh、en）`, en: `unsupported language: ${language} (zh or en)` }, { field: 'language' });
      }
      return { content: defaultSystemPrompt(language.toLowerCase().startsWith('en') ? 'en' : 'zh') };
    }),

    agentCreate: asUser(async (ctx, principal) => {
      const body = bodyObject(ctx.request.body);
      if (typeof body.name !== 'string' || !body.name.trim()) {
        throw sageError('invalid_argument', { 'zh-CN': 'Agent 名称不能为空', en: 'the agent name is required' }, { field: 'name' });
      }
      // The DTO's `id` is optional: a client may choose it (unique in the tenant, 409 otherwise).
      const id = body.id === undefined || body.id === null || body.id === '' ? undefined : body.id;
      if (id !== undefined && (typeof id !== 'string' || /^\.+$/.test(id))) {
        throw sageError('invalid_argument', { 'zh-CN': 'id 无效', en: 'invalid id' }, { field: 'id' });
      }
      const patch = agentPatchOf(body);
      const agent = await sageWords(() => directory.createAgent(principal, { ...patch, id, name: patch.name! }));
      return { agent_id: agent.id };
    }),

    agentGet: asUser(async (ctx, principal) => {
      const agentId = pathParam(ctx, 'agent_id');
      const agent = await usableAgent(c, principal, agentId);
      return agentDto(agent, agent.id === defaultAgentId(c, await directory.allAgents(principal)));
    }),

    agentUpdate: asUser(async (ctx, principal) => {
      const agentId = pathParam(ctx, 'agent_id');
      const body = bodyObject(ctx.request.body);
      const current = await managedAgent(c, principal, agentId);
      await sageWords(() => directory.updateAgent(principal, agentId, agentPatchOf(body, current)), agentId);
      return { agent_id: agentId };
    }),

    agentDelete: asUser(async (ctx, principal) => {
      const agentId = pathParam(ctx, 'agent_id');
      await managedAgent(c, principal, agentId);
      await sageWords(() => directory.deleteAgent(principal, agentId), agentId);
      return { agent_id: agentId };
    }),

    /**
     * Who may use it, as Sage answers it: a plain list of user ids. An empty
     * list is the engine's `tenant` visibility (everyone in the tenant may use
     * it); any other list limits it to those users, its owner and the admins
     * (so `[owner]` keeps it to its owner).
     */
    agentAuthGet: asUser(async (ctx, principal) => {
      const agent = await managedAgent(c, principal, pathParam(ctx, 'agent_id'));
      const visibility = agent.visibility ?? 'tenant';
      return visibility === 'tenant' ? [] : visibility;
    }),

    /** `{user_ids}`: an empty list opens the agent to the whole tenant again. Every id must be a user of the tenant. */
    agentAuthUpdate: asUser(async (ctx, principal) => {
      const agentId = pathParam(ctx, 'agent_id');
      const body = bodyObject(ctx.request.body);
      const ids = body.user_ids;
      if (!Array.isArray(ids) || ids.length > 1000 || !ids.every((id) => typeof id === 'string' && id.length > 0)) {
        throw sageError('invalid_argument', { 'zh-CN': 'user_ids 应为用户 ID 列表', en: 'user_ids must be a list of user ids' }, { field: 'user_ids' });
      }
      await managedAgent(c, principal, agentId);
      for (const id of ids as string[]) {
        if (!(await directory.getUser(principal.tenant, id))) {
          throw sageError('invalid_argument', { 'zh-CN': `用户不存在: ${id}`, en: `unknown user: ${id}` }, { field: 'user_ids' });
        }
      }
      const visibility = ids.length === 0 ? ('tenant' as const) : [...new Set(ids as string[])];
      await sageWords(() => directory.updateAgent(principal, agentId, { visibility }), agentId);
      return {};
    }),

    ...agentWorkspaceHandlers(c),
    ...agentDraftHandlers(c),
  };
}
