/**
 * The authorization server's HTML: login, consent, logout and error pages.
 * Server-rendered, no scripts, one small stylesheet inline, a viewport meta
 * so phones show them at their own width. Every value is escaped.
 */

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f3f4f6;color:#111827}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
@media (max-width:30rem){main{margin:0;min-height:100vh;border-radius:0;box-shadow:none}}
h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{width:100%;padding:.65rem;font-size:1rem;border:1px solid #9ca3af;border-radius:.375rem}
button{width:100%;margin-top:1rem;padding:.7rem;font-size:1rem;border:0;border-radius:.375rem;background:#1d4ed8;color:#fff;cursor:pointer}
button.secondary{background:#e5e7eb;color:#111827}
.error{padding:.65rem;border-radius:.375rem;background:#fee2e2;color:#991b1b}
ul{padding-left:1.25rem}
`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
const errorBox = (message?: string) => (message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : '');

export interface LoginView {
  action: string;
  csrf: string;
  client: string;
  username?: string;
  error?: string;
}

export function loginPage(view: LoginView): string {
  return page(
    'Sign in',
    `<p>to continue to <strong>${escapeHtml(view.client)}</strong></p>
${errorBox(view.error)}
<form method="post" action="${escapeHtml(view.action)}">
${hidden('csrf', view.csrf)}
<label for="username">Username or email</label>
<input id="username" name="username" autocomplete="username" autocapitalize="none" required autofocus value="${escapeHtml(view.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

export interface ConsentView {
  action: string;
  abort: string;
  csrf: string;
  client: string;
  scopes: string[];
}

/** What each scope gives the client, in the user's words (the scopes of `provider.ts`). */
const SCOPE_WORDS: Record<string, string> = {
  profile: 'your username and tenant',
  email: 'your email address',
  offline_access: 'access while you are not using it',
};

const scopeItem = (scope: string) => `<li><strong>${escapeHtml(scope)}</strong>${Object.hasOwn(SCOPE_WORDS, scope) ? `: ${SCOPE_WORDS[scope]}` : ''}</li>`;

export function consentPage(view: ConsentView): string {
  const scopes = view.scopes.length ? `<ul>${view.scopes.map(scopeItem).join('')}</ul>` : '';
  return page(
    'Allow access?',
    `<p><strong>${escapeHtml(view.client)}</strong> asks for access to your account${scopes ? ':' : '.'}</p>
${scopes}
<form method="post" action="${escapeHtml(view.action)}">
${hidden('csrf', view.csrf)}
<button type="submit">Allow</button>
</form>
<form method="post" action="${escapeHtml(view.abort)}">
${hidden('csrf', view.csrf)}
<button type="submit" class="secondary">Deny</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, errorBox(message));
}

/** The end-session confirmation; `form` is oidc-provider's own hidden form, submitted by these buttons. */
export function logoutPage(host: string, form: string): string {
  return page(
    'Sign out?',
    `<p>Sign out from ${escapeHtml(host)}?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export function loggedOutPage(client?: string): string {
  return page('Signed out', `<p>You are signed out${client ? ` of ${escapeHtml(client)}` : ''}.</p>`);
}
