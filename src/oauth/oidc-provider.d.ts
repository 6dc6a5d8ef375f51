/**
 * The part of oidc-provider (9.x) the gateway uses. The package ships no type
 * declarations; these follow its documentation and cover only what is called.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type Koa from 'koa';

  export interface GrantInstance {
    readonly jti?: string;
    accountId?: string;
    clientId?: string;
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    addResourceScope(resource: string, scope: string): void;
    /** Saves the grant; resolves to its id. */
    save(): Promise<string>;
  }

  export interface GrantClass {
    new (properties: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  }

  export interface PromptDetails {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
    [detail: string]: unknown;
  }

  export interface InteractionDetails {
    uid: string;
    /** When the interaction ends, in seconds since the epoch. */
    exp: number;
    prompt: { name: string; reasons: string[]; details: PromptDetails };
    params: Record<string, unknown> & { client_id?: string; scope?: string };
    session?: { accountId: string; uid?: string };
    grantId?: string;
    lastSubmission?: Record<string, unknown>;
  }

  export interface InteractionResult {
    login?: { accountId: string; remember?: boolean; amr?: string[] };
    consent?: { grantId?: string };
    error?: string;
    error_description?: string;
  }

  export interface ClientInstance {
    clientId: string;
    clientName?: string;
    clientAuthMethod: string;
  }

  /** The request context oidc-provider hands its hooks: Koa's, plus `oidc`. */
  export type ProviderContext = Koa.Context & {
    oidc: {
      route?: string;
      client?: ClientInstance;
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      result?: { consent?: { grantId?: string } };
      entities: Record<string, unknown>;
      provider: Provider;
    };
  };

  export interface ErrorOut {
    error: string;
    error_description?: string;
    [key: string]: unknown;
  }

  /** An access token as `AccessToken.find` reads it back (expired, revoked and unknown ones are not found). */
  export interface AccessTokenInstance {
    accountId?: string;
    clientId?: string;
    grantId?: string;
    /** A resource server's audience (resource indicators); undefined for tokens meant for userinfo and this gateway. */
    aud?: string | string[];
    isSenderConstrained(): boolean;
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    /** Koa's `proxy`: believe `X-Forwarded-*` (the gateway drops them unless they come from a trusted proxy). */
    proxy: boolean;
    readonly Grant: GrantClass;
    readonly AccessToken: { find(value: string): Promise<AccessTokenInstance | undefined> };
    /** The browser's session, from its signed session cookie (an unsaved empty one when it has none). */
    readonly Session: { get(ctx: Koa.Context): Promise<{ accountId?: string; destroy(): Promise<void> }> };
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(req: IncomingMessage, res: ServerResponse, result: InteractionResult, options?: { mergeWithLastSubmission?: boolean }): Promise<string>;
    on(event: string, listener: (...args: unknown[]) => void): this;
    /** A Koa middleware run before the provider's own routes (its `await next()` returns before the answer is written). */
    use(middleware: (ctx: ProviderContext, next: () => Promise<void>) => Promise<void>): void;
  }

  export default Provider;
}
