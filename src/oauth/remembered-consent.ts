import type { GrantInstance, ProviderContext } from 'oidc-provider';
import { scopedKey } from '../engine/keys.js';
import type { Store } from '../store/store.js';

const COLLECTION = 'oauth-consent';

interface Remembered {
  grantId: string;
}

/**
 * Which grant a user gave a client, kept beyond the login session that gave
 * it: oidc-provider looks a grant up in the session only, so without this a
 * user signing in again would be asked the same consent again. Kept as long
 * as the grant itself; a revoked or expired grant is simply not found.
 */
export class RememberedConsent {
  constructor(
    private readonly store: Store,
    private readonly ttlSeconds: number,
  ) {}

  async remember(accountId: string, clientId: string, grantId: string): Promise<void> {
    await this.store.put<Remembered>(COLLECTION, scopedKey(accountId, clientId), { grantId }, { ttlSeconds: this.ttlSeconds });
  }

  async recall(accountId: string, clientId: string): Promise<string | undefined> {
    return (await this.store.get<Remembered>(COLLECTION, scopedKey(accountId, clientId)))?.value.grantId;
  }

  /**
   * oidc-provider's `loadExistingGrant`: the grant this interaction just
   * made, else the session's, else the remembered one, which is used only
   * while it is still this account's grant to this client.
   */
  loader() {
    return async (ctx: ProviderContext): Promise<GrantInstance | undefined> => {
      const { client, session, result, provider } = ctx.oidc;
      const accountId = session?.accountId;
      if (!client || !accountId) return undefined;
      const current = result?.consent?.grantId ?? session?.grantIdFor(client.clientId);
      if (current) return provider.Grant.find(current);
      const remembered = await this.recall(accountId, client.clientId);
      const grant = remembered ? await provider.Grant.find(remembered) : undefined;
      return grant?.accountId === accountId && grant.clientId === client.clientId ? grant : undefined;
    };
  }
}
