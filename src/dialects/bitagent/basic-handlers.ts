import { queryParam } from '../../http/request-params.js';
import { forbidden } from '../../engine/errors.js';
import type { Handler } from '../../http/dialect.js';
import { abilityDetail, abilitySummary, nameMatches } from './abilities.js';
import { userOf, tenantOf } from '../../http/credentials.js';
import type { BitAgentContext } from './context.js';
import { page } from './envelope.js';
import { fileView, saveUpload, sendFile } from './files.js';
import { objectBody, optionalInteger, optionalString, requiredText } from './request-fields.js';

/** Authentication, abilities and the common services (models, files). */
export function basicHandlers(c: BitAgentContext): Record<string, Handler> {
  return {
    /**
     * API key → user token. The key is checked first (401), then the body
     * (400), then that the key's tenant is the one named (403), so nothing
     * about a tenant is revealed to a caller without a valid key.
     */
    userToken: async (ctx, caller) => {
      const tenant = tenantOf(caller);
      const body = objectBody(ctx);
      const userId = requiredText(body, 'user_id');
      const tenantCode = requiredText(body, 'tenant_code');
      if (tenantCode !== tenant.code) throw forbidden('tenant mismatch: the API key belongs to another tenant');
      await c.engine.directory.ensureUser(tenant.code, userId);
      return c.tokens.issue(tenant.code, userId);
    },

    abilityPage: async (ctx, caller) => {
      const principal = userOf(caller);
      const body = objectBody(ctx);
      const pageIndex = optionalInteger(body, 'page_index', 0, 0, 1_000_000);
      const pageSize = optionalInteger(body, 'page_size', 10, 1, 100);
      const name = optionalString(body, 'name', 256);
      // By name, so pages are stable and read like a catalogue whatever order the config declared.
      const matching = (await c.engine.directory.allAgents(principal))
        .filter((agent) => nameMatches(agent.name, name))
        .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.id.localeCompare(b.id));
      const start = pageIndex * pageSize;
      return page(matching.slice(start, start + pageSize).map(abilitySummary), matching.length);
    },

    abilityDetail: async (ctx, caller) => {
      const principal = userOf(caller);
      const agent = await c.engine.directory.getAgent(principal, String(ctx.params.ability_id));
      return abilityDetail(agent, c.config);
    },

    llmNames: async () => {
      return c.config.models.map((model) => model.name);
    },

    fileUpload: async (ctx, caller) => {
      const principal = userOf(caller);
      return fileView(ctx, await saveUpload(ctx, c, principal));
    },

    /** Metadata, or with `?download=1` the bytes themselves (the `url` the metadata gives). */
    fileInfo: async (ctx, caller) => {
      const principal = userOf(caller);
      const file = await c.engine.workspace.byId(principal, String(ctx.params.file_id));
      const download = queryParam(ctx, 'download');
      if (download !== undefined && download !== '0' && download !== 'false') return sendFile(ctx, c, principal, file);
      return fileView(ctx, file);
    },
  };
}
