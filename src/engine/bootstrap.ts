import type { Config, UserSeed } from '../config/types.js';
import type { Directory } from './directory.js';
import type { Credential, User } from './records.js';
import { hashPassword, sha256, verifyPassword } from './secrets.js';
import { scopedKey } from './keys.js';

/**
 * Applies `bootstrap` from the config: tenants, users, credentials and agents,
 * each marked `source: 'config'`. What an earlier boot declared and this
 * config no longer does is revoked: its tokens and API keys, its passwords,
 * its users (with every credential they hold). Things created at runtime are
 * left alone. Idempotent: a second boot with the same config changes nothing.
 */
export async function applyBootstrap(directory: Directory, config: Config, now = Date.now()): Promise<void> {
  const { tenants, users, agents } = config.bootstrap;
  const declared = new Set<string>();
  const putCredential = async (secret: string, credential: Omit<Credential, 'source' | 'createdAt'>) => {
    declared.add(sha256(secret));
    await directory.putCredential(secret, { ...credential, source: 'config', createdAt: now });
  };

  for (const tenant of tenants) {
    const existing = await directory.getTenant(tenant.code);
    await directory.putTenant({ code: tenant.code, name: tenant.name, createdAt: existing?.createdAt ?? now });
    for (const key of tenant.api_keys) await putCredential(key, { kind: 'api_key', tenant: tenant.code });
  }
  for (const seed of users) {
    const existing = await directory.getUser(seed.tenant, seed.id);
    await directory.putUser({
      tenant: seed.tenant,
      id: seed.id,
      username: seed.username,
      email: seed.email,
      admin: seed.admin,
      ...(await seededPassword(seed, existing)),
      source: 'config',
      createdAt: existing?.createdAt ?? now,
    });
    for (const token of seed.tokens) await putCredential(token, { kind: 'token', tenant: seed.tenant, userId: seed.id });
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
      source: 'config',
      createdAt: now,
      updatedAt: now,
    });
  }

  // Revoked last: a token the config moved to another user has changed hands by now.
  for (const hash of await directory.configCredentialHashes()) {
    if (!declared.has(hash)) await directory.revokeCredentialHash(hash);
  }
  const kept = new Set(users.map((seed) => scopedKey(seed.tenant, seed.id)));
  for (const { tenant, userId } of await directory.configUsers()) {
    if (!kept.has(scopedKey(tenant, userId))) await directory.removeUser(tenant, userId);
  }
}

/**
 * A config user's password after this boot. The hash of the config's password
 * is kept beside the user's: when the config's is unchanged, a password the
 * user chose since stays; when it changed, it applies; when it left the
 * config, a password that is still the config's is revoked.
 */
async function seededPassword(seed: UserSeed, existing?: User): Promise<Pick<User, 'passwordHash' | 'configPasswordHash'>> {
  // Before hashes were tracked only the config set passwords: an untracked one is the config's.
  const configHash = existing?.configPasswordHash ?? (existing?.source === undefined ? existing?.passwordHash : undefined);
  const current = existing?.passwordHash;
  if (!seed.password) return { passwordHash: current !== undefined && current === configHash ? undefined : current };
  if (configHash && (await verifyPassword(seed.password, configHash))) return { passwordHash: current, configPasswordHash: configHash };
  const hash = await hashPassword(seed.password);
  return { passwordHash: hash, configPasswordHash: hash };
}
