import { BUILT_IN_TOOL_NAMES } from '../executors/tools.js';
import { isProxyEntry } from '../http/trust-proxy.js';
import { createSchemaValidator } from '../json-schema.js';
import type { Config } from './types.js';

/** Checks the references between parts of a schema-valid config; returns problems with exact paths. */
export function crossCheck(config: Config): string[] {
  const problems: string[] = [];
  config.server.trust_proxy.forEach((entry, i) => {
    if (!isProxyEntry(entry)) problems.push(`server.trust_proxy[${i}]: "${entry}" is not an IP address or CIDR range`);
  });
  const modelNames = new Set<string>();
  config.models.forEach((model, i) => {
    if (modelNames.has(model.name)) problems.push(`models[${i}].name: duplicate model "${model.name}"`);
    modelNames.add(model.name);
    if (model.kind === 'openai' && !model.base_url) problems.push(`models[${i}].base_url: required for kind openai`);
  });
  if (!modelNames.has(config.default_model)) {
    problems.push(`default_model: unknown model "${config.default_model}"`);
  }

  const tenants = new Set<string>();
  config.bootstrap.tenants.forEach((tenant, i) => {
    if (tenants.has(tenant.code)) problems.push(`bootstrap.tenants[${i}].code: duplicate tenant "${tenant.code}"`);
    tenants.add(tenant.code);
  });
  const checkTenant = (path: string, code: string) => {
    if (!tenants.has(code)) problems.push(`${path}.tenant: unknown tenant "${code}"`);
  };

  const userIds = new Set<string>();
  const usernames = new Set<string>();
  config.bootstrap.users.forEach((user, i) => {
    const path = `bootstrap.users[${i}]`;
    checkTenant(path, user.tenant);
    const key = `${user.tenant}/${user.id}`;
    if (userIds.has(key)) problems.push(`${path}.id: duplicate user "${user.id}" in tenant "${user.tenant}"`);
    userIds.add(key);
    if (usernames.has(user.username)) problems.push(`${path}.username: duplicate username "${user.username}"`);
    usernames.add(user.username);
  });

  const ajv = createSchemaValidator();
  const agentIds = new Set<string>();
  config.bootstrap.agents.forEach((agent, i) => {
    const path = `bootstrap.agents[${i}]`;
    checkTenant(path, agent.tenant);
    if (agentIds.has(agent.id)) problems.push(`${path}.id: duplicate agent "${agent.id}"`);
    agentIds.add(agent.id);
    agent.tools.forEach((tool, j) => {
      if (!BUILT_IN_TOOL_NAMES.includes(tool)) {
        problems.push(`${path}.tools[${j}]: unknown tool "${tool}"; known tools: ${BUILT_IN_TOOL_NAMES.join(', ')}`);
      }
    });
    if (agent.model !== undefined && !modelNames.has(agent.model)) {
      problems.push(`${path}.model: unknown model "${agent.model}"`);
    }
    for (const key of ['inputs', 'outputs'] as const) {
      const schema = agent[key];
      if (!schema) continue;
      try {
        ajv.compile(schema);
      } catch (err) {
        problems.push(`${path}.${key}: not a valid JSON Schema: ${(err as Error).message}`);
      }
    }
  });

  const clientIds = new Set<string>();
  config.bootstrap.oauth_clients.forEach((client, i) => {
    if (clientIds.has(client.client_id)) {
      problems.push(`bootstrap.oauth_clients[${i}].client_id: duplicate client "${client.client_id}"`);
    }
    clientIds.add(client.client_id);
  });

  const sage = config.dialects.sage;
  if (sage.enabled && sage.auth_mode === 'oauth' && sage.upstream_providers.length === 0) {
    problems.push('dialects.sage.upstream_providers: the oauth auth_mode needs at least one upstream provider');
  }
  const providerIds = new Set<string>();
  sage.upstream_providers.forEach((provider, i) => {
    if (providerIds.has(provider.id)) problems.push(`dialects.sage.upstream_providers[${i}].id: duplicate provider "${provider.id}"`);
    providerIds.add(provider.id);
  });

  for (const name of ['openbee', 'sage'] as const) {
    const { tenant } = config.dialects[name];
    if (tenant !== undefined) checkTenant(`dialects.${name}`, tenant);
  }

  const agentRefs: [string, string | undefined][] = [
    ['dialects.bitagent.session_agent', config.dialects.bitagent.session_agent],
    ['dialects.agents-v1.default_agent', config.dialects['agents-v1'].default_agent],
    ['dialects.openbee.default_agent', config.dialects.openbee.default_agent],
    ['dialects.sage.default_agent', config.dialects.sage.default_agent],
  ];
  for (const [path, id] of agentRefs) {
    if (id !== undefined && !agentIds.has(id)) problems.push(`${path}: unknown agent "${id}"`);
  }

  const ports = new Map<number, string>([[config.server.port, 'server.port']]);
  for (const [name, dialect] of Object.entries(config.dialects)) {
    if (dialect.port === undefined || !dialect.enabled) continue;
    const taken = ports.get(dialect.port);
    if (taken && dialect.port !== 0) problems.push(`dialects.${name}.port: port ${dialect.port} is already used by ${taken}`);
    ports.set(dialect.port, `dialects.${name}.port`);
  }
  return problems;
}
