import type { Directory } from '../engine/directory.js';
import { StoreUnavailableError } from '../store/store.js';
import { bearerToken, type CredentialScheme, type Credentials } from './credentials.js';

/**
 * The schemes every gateway has, whatever dialects it serves: static user
 * tokens from the directory (`Authorization: Bearer`, or the route's token
 * query parameter) and tenant API keys (the bare `Authorization` value, as
 * the bit-Agent document shows it, or after `Bearer`). A lookup that fails
 * because the store cannot answer says nothing about the credential: it
 * propagates (503), only "not found" reads as "not ours".
 */
export function registerSharedSchemes(credentials: Credentials, directory: Directory): void {
  credentials.register('static_token', {
    label: 'access token',
    read: (request, places) => bearerToken(request, places),
    verify: async (token) => {
      const principal = await directory.authenticateToken(token).catch(unlessStoreDown);
      return principal && { kind: 'user', principal };
    },
  } satisfies CredentialScheme);
  credentials.register('api_key', {
    label: 'API key',
    read: (request) => bearerToken(request) ?? (request.get('authorization').trim() || undefined),
    verify: async (key) => {
      const tenant = await directory.authenticateApiKey(key).catch(unlessStoreDown);
      return tenant && { kind: 'tenant', tenant };
    },
  } satisfies CredentialScheme);
}

function unlessStoreDown(err: unknown): undefined {
  if (err instanceof StoreUnavailableError) throw err;
  return undefined;
}
