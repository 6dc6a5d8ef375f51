/**
 * A browser as the authorization server sees one: cookies kept per path as
 * Set-Cookie gives them, redirects followed by hand so each hop can be seen,
 * and the login and consent forms read from the served HTML and posted back
 * with their CSRF token.
 */

interface Cookie {
  value: string;
  path: string;
}

export interface Hop {
  status: number;
  url: string;
  location?: string;
  html?: string;
  /** The body as text, whatever its type. */
  body: string;
  headers: Headers;
}

export interface FormOnPage {
  action: string;
  fields: Record<string, string>;
}

export class BrowserSession {
  private readonly cookies = new Map<string, Cookie>();

  constructor(readonly origin: string) {}

  async get(url: string): Promise<Hop> {
    return this.send(url, { method: 'GET' });
  }

  async post(url: string, form: Record<string, string>): Promise<Hop> {
    return this.send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  }

  cookieNames(): string[] {
    return [...this.cookies.keys()];
  }

  /** The Cookie header this browser sends to `url`. */
  cookieHeader(url: string): string {
    const { pathname } = new URL(url, this.origin);
    return [...this.cookies.entries()]
      .filter(([, c]) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ');
  }

  /** Any request, with this browser's cookies (a page script's `fetch` with credentials). */
  async send(url: string, init: RequestInit): Promise<Hop> {
    const target = new URL(url, this.origin);
    const cookie = this.cookieHeader(target.href);
    const res = await fetch(target, {
      ...init,
      redirect: 'manual',
      headers: { accept: 'text/html', ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    for (const line of res.headers.getSetCookie()) this.keep(line);
    const location = res.headers.get('location') ?? undefined;
    const type = res.headers.get('content-type') ?? '';
    const text = await res.text();
    return {
      status: res.status,
      url: target.href,
      headers: res.headers,
      body: text,
      ...(location ? { location: new URL(location, target).href } : {}),
      ...(type.includes('html') ? { html: text } : {}),
    };
  }

  private keep(line: string): void {
    const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const attr = (key: string) => attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const expires = attr('expires');
    const gone = value === '' || attr('max-age') === '0' || (expires !== undefined && Date.parse(expires) < Date.now());
    if (gone) this.cookies.delete(name);
    else this.cookies.set(name, { value, path: attr('path') ?? '/' });
  }
}

/** The forms of a page, with their hidden fields (enough for the server's own simple markup). */
export function formsOf(html: string, base: string): FormOnPage[] {
  return [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)].map((m) => ({
    action: new URL(unescape(m[1]!), base).href,
    fields: Object.fromEntries([...m[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"\s*\/?>/g)].map((f) => [unescape(f[1]!), unescape(f[2]!)])),
  }));
}

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, '&');

export interface SignInResult {
  /** Where the server finally sent the browser (the client's redirect_uri with `code` or `error`). */
  redirect: URL;
  /** Which pages were shown on the way. */
  pages: ('login' | 'consent')[];
}

/**
 * Follows an authorization request through the gateway's pages: signs in
 * with `username`/`password` when asked, allows (or denies) when asked for
 * consent, until the browser is sent outside the gateway.
 */
export async function signIn(
  browser: BrowserSession,
  authorizeUrl: string,
  who: { username: string; password: string },
  consent: 'allow' | 'deny' = 'allow',
): Promise<SignInResult> {
  const pages: SignInResult['pages'] = [];
  let hop = await browser.get(authorizeUrl);
  for (let step = 0; step < 12; step++) {
    if (hop.location) {
      const next = new URL(hop.location);
      if (next.origin !== browser.origin) return { redirect: next, pages };
      hop = await browser.get(next.href);
      continue;
    }
    if (hop.status !== 200 || !hop.html) throw new Error(`unexpected answer ${hop.status} at ${hop.url}: ${hop.html ?? ''}`);
    const forms = formsOf(hop.html, hop.url);
    const login = forms.find((f) => f.action.endsWith('/login'));
    if (login) {
      pages.push('login');
      hop = await browser.post(login.action, { ...login.fields, username: who.username, password: who.password });
      continue;
    }
    const choice = forms.find((f) => f.action.endsWith(consent === 'allow' ? '/confirm' : '/abort'));
    if (!choice) throw new Error(`no form to go on with at ${hop.url}: ${hop.html}`);
    pages.push('consent');
    hop = await browser.post(choice.action, choice.fields);
  }
  throw new Error('too many hops');
}
