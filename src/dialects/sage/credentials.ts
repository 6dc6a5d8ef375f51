import type { Credentials } from '../../http/credentials.js';
import type { SageContext } from './context.js';

/** Registers the credential kinds this API issues (`sage_token`, `session_cookie`, `proxy_header`). */
export function registerSageCredentials(_c: SageContext, _credentials: Credentials): void {}
