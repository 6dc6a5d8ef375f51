import type { Config } from '../config/types.js';
import type { Directory } from './directory.js';
import { hashPassword, verifyPassword } from './secrets.js';

/**
 * Applies `bootstrap` from the config: tenants, users, credentials and agents.
 * Idempotent, so a restart (or a CI user declaring fixtures) converges on the
 * same state; a password that has not changed keeps its stored hash.
 */
export async function applyBootstrap(directory: Directory, config: Config, now = Date.now()): Promise<void> {
  const { tenants, users, agents } = config.bootstrap;
  for (const tenant of tenants) {
    const existing = await directory.getTenant(tenant.code);
    await directory.putTenant({ code: tenant.code, name: tenant.name, createdAt: existing?.createdAt ?? now });
    for (const key of tenant.api_keys) await directory.putCredential(key, { kind: 'api_key', tenant: tenant.code, createdAt: now });
  }
  for (const user of users) {
    const existing = await directory.getUser(user.tenant, user.id);
    let passwordHash: string | undefined;
    if (user.password) {
      const unchanged = existing?.passwordHash && (await verifyPassword(user.password, existing.passwordHash));
      passwordHash = unchanged ? existing.passwordHash : await hashPassword(user.password);
    }
    await directory.putUser({
      tenant: user.tenant,
      id: user.id,
      username: user.username,
      email: user.email,
      admin: user.admin,
      passwordHash,
      createdAt: existing?.createdAt ?? now,
    });
    for (const token of user.tokens) {
      await directory.putCredential(token, { kind: 'token', tenant: user.tenant, userId: user.id, createdAt: now });
    }
  }
  for (const agent of agents) {
    await directory.putAgent({
      id: agent.id,
      tenant: agent.tenant,
      name: agent.name,
      description: agent.description,
      systemPrompt: agent.system_prompt,
      model: agent.model,
      tools: agent.tools,
      inputs: agent.inputs,
      outputs: agent.outputs,
      workDir: agent.work_dir,
      maxLoops: agent.max_loops,
      createdAt: now,
      updatedAt: now,
    });
  }
}
