import type { Config, ModelConfig } from '../config/types.js';
import type { Executor, Tool } from '../executors/executor.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { applyBootstrap } from './bootstrap.js';
import { Conversations } from './conversations.js';
import { Directory } from './directory.js';
import { INSTANCE_ID } from './ids.js';
import { LoginThrottle } from './login-throttle.js';
import { Reaper } from './reaper.js';
import { RefreshTokens } from './refresh-tokens.js';
import { TaskRunner } from './runner.js';
import { Sessions } from './sessions.js';
import { loadSigningKey } from './signing-key.js';
import { Tasks } from './tasks.js';
import { Workspace } from './workspace.js';

export interface EngineDeps {
  store: Store;
  config: Config;
  executorFor(model: ModelConfig): Executor;
  toolsFor(names: string[]): Tool[];
  logger: Logger;
  /** Distinguishes this process in leases; random per start by default. */
  instanceId?: string;
}

/**
 * The canonical engine: one object holding the services every dialect calls.
 * It knows nothing of HTTP or of which dialect is asking.
 */
export class Engine {
  readonly directory: Directory;
  readonly conversations: Conversations;
  readonly tasks: Tasks;
  readonly runner: TaskRunner;
  readonly reaper: Reaper;
  readonly workspace: Workspace;
  readonly sessions: Sessions;
  readonly refreshTokens: RefreshTokens;
  readonly loginThrottle: LoginThrottle;
  readonly store: Store;
  readonly config: Config;

  constructor(deps: EngineDeps) {
    const instanceId = deps.instanceId ?? INSTANCE_ID;
    this.store = deps.store;
    this.config = deps.config;
    this.directory = new Directory(deps.store);
    this.conversations = new Conversations(deps.store, this.directory);
    this.runner = new TaskRunner({ ...deps, instanceId, directory: this.directory, conversations: this.conversations });
    this.tasks = new Tasks(deps.store, deps.config, this.directory, this.conversations, this.runner, instanceId);
    this.reaper = new Reaper(deps.store, deps.config, deps.logger);
    this.workspace = new Workspace(deps.store, deps.config.store.data_dir, deps.config.server.upload_limit_bytes);
    const { auth } = deps.config;
    this.sessions = new Sessions(deps.store, { idleSeconds: auth.session_idle_seconds, absoluteSeconds: auth.session_absolute_seconds });
    this.refreshTokens = new RefreshTokens(deps.store, { ttlSeconds: auth.refresh_token_ttl_seconds, rotation: auth.refresh_token_rotation });
    const window = auth.login_window_seconds;
    this.loginThrottle = new LoginThrottle(deps.store, {
      account: { failures: auth.login_failures_per_account, windowSeconds: window },
      address: { failures: auth.login_failures_per_address, windowSeconds: window },
    });
    // A removed user, or a changed password, ends every login at once.
    this.directory.onLoginsEnd((tenant, userId) => this.sessions.revokeAllOf(tenant, userId));
    this.directory.onLoginsEnd((tenant, userId) => this.refreshTokens.revokeAllOf(tenant, userId));
  }

  private key?: Uint8Array;

  /** The key for tokens the gateway signs (available after `start`). */
  get signingKey(): Uint8Array {
    if (!this.key) throw new Error('the engine has not started');
    return this.key;
  }

  /** Applies the config's bootstrap data and starts background work (the reaper). */
  async start(): Promise<void> {
    this.key = await loadSigningKey(this.store, this.config.auth.jwt_secret);
    await applyBootstrap(this.directory, this.config);
    await this.reaper.sweep();
    this.reaper.start();
  }

  /** Ends local runs (failed with a clear "shutting down" error after `graceMs`), then stops background work. */
  async stop(graceMs: number): Promise<void> {
    this.reaper.stop();
    await this.runner.stop(graceMs);
  }
}
