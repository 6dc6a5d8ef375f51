import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Config, DialectName } from '../config/types.js';
import { DIALECT_NAMES } from '../config/types.js';
import { DIALECT_FACTORIES } from '../dialects/index.js';
import { closeModelConnections } from '../executors/registry.js';
import { Engine, type EngineDeps } from '../engine/engine.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { dispatchByPrefix } from './dispatch.js';
import { oauthTokenScheme } from '../oauth/bearer-scheme.js';
import { prepareOAuth, type OAuthServer } from '../oauth/mount.js';
import { ViewRegistry } from '../stream/view-registry.js';
import { StreamHub } from '../stream/stream-hub.js';
import { UserGauge } from '../engine/user-gauge.js';
import { cookieKeys } from './cookie-keys.js';
import { Credentials } from './credentials.js';
import type { Dialect } from './dialect.js';
import { healthRoutes } from './health.js';
import { guardConnections, serverOptions } from './connection-guards.js';
import { lastResort } from './last-resort.js';
import { signOutCookieLogin } from './login-cookie.js';
import { buildRouter, checkCoverage, notFoundFallback, renderForPath, type Mount } from './mount.js';
import { loadRouteTable } from './route-table.js';
import { findCollisions } from './route-overlap.js';
import { registerSharedSchemes } from './shared-schemes.js';
import { TrustedProxies } from './trust-proxy.js';

export interface GatewayOptions extends Omit<EngineDeps, 'config' | 'logger' | 'store'> {
  config: Config;
  logger: Logger;
  store: Store;
}

interface Listener {
  name: 'main' | DialectName;
  server: Server;
  port: number;
}

/**
 * The running gateway: the engine, the dialects mounted on the main listener
 * (and each on its own extra listener when configured), health routes, and a
 * graceful shutdown that stops accepting, ends open streams, lets tasks end
 * and flushes the store.
 */
export class Gateway {
  readonly engine: Engine;
  readonly streams: StreamHub;
  /** Every dialect's views of tasks on this instance. */
  readonly views: ViewRegistry;
  readonly credentials: Credentials;
  /** Each user's multipart requests in progress on this instance. */
  readonly uploads: UserGauge;
  private readonly proxies: TrustedProxies;
  private keys: string[] = [];
  /** The authorization server on the main listener (after `start`). */
  private oauth: OAuthServer | undefined;
  private readonly listeners: Listener[] = [];
  private closing = false;

  constructor(private readonly options: GatewayOptions) {
    this.engine = new Engine(options);
    const { server, limits } = options.config;
    this.streams = new StreamHub({ heartbeatMs: server.heartbeat_ms, stallMs: server.stream_stall_ms, perUser: limits.streams_per_user });
    this.uploads = new UserGauge(limits.uploads_per_user, 'uploads in progress');
    this.views = new ViewRegistry(this.engine);
    this.credentials = new Credentials({ ttlMs: options.config.auth.cache_ms, changes: this.engine.directory });
    this.proxies = new TrustedProxies(server.trust_proxy);
    registerSharedSchemes(this.credentials, this.engine.directory);
    this.credentials.register('oauth_token', oauthTokenScheme(() => this.oauth?.provider, this.engine.directory));
  }

  /** Builds every enabled dialect, checks routes, starts the engine and the listeners. */
  async start(): Promise<void> {
    const { config, logger } = this.options;
    const dialects = new Map<DialectName, { dialect: Dialect; table: ReturnType<typeof loadRouteTable> }>();
    const problems: string[] = [];
    for (const name of DIALECT_NAMES) {
      if (!config.dialects[name].enabled) continue;
      const table = loadRouteTable(name);
      const dialect = DIALECT_FACTORIES[name]({
        engine: this.engine,
        config,
        logger,
        streams: this.streams,
        views: this.views,
        credentials: this.credentials,
        signOut: (ctx) => this.signOut(ctx),
      });
      problems.push(...checkCoverage(dialect, table));
      dialects.set(name, { dialect, table });
    }
    const mainMounts = [...dialects.entries()].map(([name, d]) => ({ ...d, prefix: config.dialects[name].prefix }));
    problems.push(...collisionsOf(mainMounts), ...checkAuth(mainMounts, this.credentials));
    if (problems.length) throw new Error(`cannot mount the dialects:\n  ${problems.join('\n  ')}`);

    await this.engine.start();
    this.keys = cookieKeys(config.server.cookie_keys, this.engine.signingKey);
    this.oauth = await prepareOAuth({ config, logger, store: this.options.store, engine: this.engine, cookieKeys: this.keys });
    const main = await this.listen('main', mainMounts, config.server.port);
    logger.info({ port: main.port, host: config.server.host, store: this.options.store.kind }, 'switchboard listening');
    for (const [name, d] of dialects) {
      const port = config.dialects[name].port;
      if (port === undefined) continue;
      const extra = await this.listen(name, [{ ...d, prefix: '' }], port);
      logger.info({ port: extra.port, dialect: name }, 'dialect listener');
    }
  }

  /** The store the gateway opened and closes (health checks, operations; dialects never see it). */
  get store(): Store {
    return this.options.store;
  }

  /** The keys every listener signs cookies with (available after `start`). */
  get cookieKeys(): readonly string[] {
    return this.keys;
  }

  /** The port a listener got (useful with port 0). */
  port(name: 'main' | DialectName = 'main'): number {
    const listener = this.listeners.find((l) => l.name === name);
    if (!listener) throw new Error(`no listener ${name}`);
    return listener.port;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** `DialectDeps.signOut`: the browser's web login, then its authorization-server session. */
  private async signOut(ctx: Koa.Context): Promise<void> {
    await signOutCookieLogin(ctx, this.engine);
    await this.oauth?.endBrowserSession(ctx);
  }

  private async listen(name: Listener['name'], mounts: Mount[], port: number): Promise<Listener> {
    const { config, logger } = this.options;
    const app = new Koa({ proxy: this.proxies.enabled, keys: this.keys });
    app.silent = true;
    app.on('error', (err: NodeJS.ErrnoException) => {
      // A client that disconnects mid-response is normal for streams, not an error.
      if (err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.code === 'ECONNRESET' || err.code === 'EPIPE') return;
      logger.error({ err }, 'http error');
    });
    app.use(lastResort(logger));
    app.use(this.proxies.middleware());
    app.use(healthRoutes(this.options.store, () => this.closing, () => this.engine.seeded()));
    app.use(notFoundFallback(mounts));
    // The OAuth2 server answers its own paths first; anything else it passes on (a 404 renders above).
    const oauth = name === 'main' ? this.oauth : undefined;
    if (oauth) app.use(oauth.middleware);
    const deps = { config, logger, credentials: this.credentials, uploads: this.uploads };
    app.use(dispatchByPrefix(mounts.map((mount) => ({ mount, routes: buildRouter(mount, deps).routes() as Koa.Middleware }))));
    const server = createServer(serverOptions(config.server), app.callback());
    guardConnections(server, (error, request) => renderForPath(mounts, error, request), config.server.body_idle_timeout_ms);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, config.server.host, () => resolve());
    });
    const listener = { name, server, port: (server.address() as AddressInfo).port };
    // Its default issuer names the port, known only now; no request is served before this runs.
    oauth?.start(listener.port);
    this.listeners.push(listener);
    return listener;
  }

  /**
   * Graceful stop: refuse new connections, end open streams (clients resume
   * elsewhere from their last event id), give running tasks the grace period,
   * fail the rest clearly, then flush and close the store.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    for (const l of this.listeners) l.server.closeIdleConnections();
    await this.streams.close();
    await this.engine.stop(this.options.config.server.shutdown_grace_ms);
    for (const l of this.listeners) l.server.closeAllConnections();
    await Promise.all(closed);
    await closeModelConnections();
    await this.options.store.close();
  }
}

/** Routes none of whose credential kinds this gateway can check (a kind whose dialect is not built, say). */
function checkAuth(mounts: Mount[], credentials: Credentials): string[] {
  return mounts.flatMap((m) =>
    m.table.routes
      .filter((route) => !route.auth.some((name) => credentials.has(name)))
      .map((route) => `${m.dialect.name}: route ${route.method} ${route.path} accepts only ${route.auth.join(', ')}, none of which this gateway checks`),
  );
}

function collisionsOf(mounts: Mount[]): string[] {
  return findCollisions(
    mounts.flatMap((m) => m.table.routes.map((route) => ({ dialect: m.dialect.name, route, fullPath: m.prefix + route.path }))),
  );
}
