import { createHash, randomBytes } from 'node:crypto';
import { WEB_APP, WEB_APP_REDIRECT } from './provider.js';

/**
 * A user agent that signs in through oidc-provider's development login and
 * consent pages: follows redirects by hand, keeps cookies by path, and sends
 * each hop to the next of `bases` in turn, so every step of the flow is served
 * by another instance than the one before.
 */
export async function signIn(bases: string[], login: string, scope: string): Promise<{ code: string; verifier: string }> {
  const cookies = new Map<string, { value: string; path: string }>();
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    client_id: WEB_APP.id,
    response_type: 'code',
    redirect_uri: WEB_APP_REDIRECT,
    scope,
    prompt: 'consent',
    state: 'state-1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let next: { path: string; form?: Record<string, string> } = { path: `/auth?${query}` };
  for (let hop = 0; hop < 12; hop++) {
    const base = bases[hop % bases.length]!;
    const path = new URL(next.path, base).pathname;
    const cookie = [...cookies].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    const res = await fetch(new URL(next.path, base), {
      method: next.form ? 'POST' : 'GET',
      headers: { ...(cookie.length ? { cookie: cookie.join('; ') } : {}), ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body: next.form ? new URLSearchParams(next.form) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(5_000),
    });
    for (const line of res.headers.getSetCookie()) keep(cookies, line);
    const body = await res.text();
    const location = res.headers.get('location');
    if (location?.startsWith(WEB_APP_REDIRECT)) {
      const answer = new URL(location).searchParams;
      const code = answer.get('code');
      if (!code) throw new Error(`sign-in ended without a code: ${location}`);
      return { code, verifier };
    }
    if (location) {
      const url = new URL(location, base);
      next = { path: `${url.pathname}${url.search}` };
      continue;
    }
    const prompt = /name="prompt" value="(\w+)"/.exec(body)?.[1];
    if (res.status !== 200 || !prompt) throw new Error(`unexpected answer ${res.status} at ${path}: ${body.slice(0, 300)}`);
    next = { path, form: prompt === 'login' ? { prompt, login } : { prompt } };
  }
  throw new Error('sign-in took too many steps');
}

/** Keeps (or, when expired, forgets) one Set-Cookie. */
function keep(cookies: Map<string, { value: string; path: string }>, line: string): void {
  const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  const attribute = (key: string) =>
    attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
  const expires = attribute('expires');
  if (!value || (expires && Date.parse(expires) <= Date.now())) {
    cookies.delete(name);
    return;
  }
  cookies.set(name, { value, path: attribute('path') ?? '/' });
}
