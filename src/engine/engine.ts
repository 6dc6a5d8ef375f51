import type { Config, ModelConfig } from '../config/types.js';
import type { Executor, Tool } from '../executors/executor.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { AttemptLimit } from './attempt-limit.js';
import { BootstrapKeeper } from './bootstrap-keeper.js';
import { Conversations } from './conversations.js';
import { GuidanceQueue } from './guidance.js';
import { ConversationShares } from './conversation-shares.js';
import { Directory } from './directory.js';
import { EngineError } from './errors.js';
import { INSTANCE_ID } from './ids.js';
import { LoginThrottle } from './login-throttle.js';
import { MediaLinks } from './media-links.js';
import type { Principal } from './records.js';
import { Reaper } from './reaper.js';
import { RefreshTokens } from './refresh-tokens.js';
import { TaskRunner } from './runner.js';
import { Sessions } from './sessions.js';
import { Tasks } from './tasks.js';
import { PendingLogins } from './pending-logins.js';
import { UpstreamIdentities } from './upstream-identities.js';
import { EmailCodes, UserSettings } from './user-settings.js';
import { WorkDirs } from './work-dirs.js';
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
  /** Conversations their owners share by link. */
  readonly shares: ConversationShares;
  /** Messages sent into running conversations, waiting for the run's next model turn. */
  readonly guidance: GuidanceQueue;
  readonly tasks: Tasks;
  readonly runner: TaskRunner;
  readonly reaper: Reaper;
  readonly workspace: Workspace;
  readonly mediaLinks: MediaLinks;
  readonly sessions: Sessions;
  readonly refreshTokens: RefreshTokens;
  readonly loginThrottle: LoginThrottle;
  readonly attempts: AttemptLimit;
  readonly settings: UserSettings;
  readonly emailCodes: EmailCodes;
  /** Logins that went to an upstream OpenID provider and have not come back yet. */
  readonly pendingLogins: PendingLogins;
  /** Which user an upstream provider's account is. */
  readonly upstreamIdentities: UpstreamIdentities;
  readonly workDirs: WorkDirs;
  // Private: dialects go through the services above and their typed reads, never to the store.
  private readonly store: Store;
  private readonly config: Config;
  private readonly keeper: BootstrapKeeper;

  constructor(deps: EngineDeps) {
    const instanceId = deps.instanceId ?? INSTANCE_ID;
    this.store = deps.store;
    this.config = deps.config;
    this.workDirs = new WorkDirs(deps.config);
    this.directory = new Directory(deps.store, this.workDirs);
    this.conversations = new Conversations(deps.store, this.directory, deps.config.engine.conversation_retention_seconds);
    this.workspace = new Workspace(deps.store, deps.config, this.directory);
    this.mediaLinks = new MediaLinks(deps.store, deps.config, this.conversations, this.workspace);
    this.shares = new ConversationShares(deps.store, this.conversations);
    this.guidance = new GuidanceQueue(deps.store, this.conversations);
    this.runner = new TaskRunner({ ...deps, instanceId, directory: this.directory, conversations: this.conversations, guidance: this.guidance, workspace: this.workspace });
    this.tasks = new Tasks(deps.store, deps.config, this.directory, this.conversations, this.runner, instanceId);
    this.reaper = new Reaper(deps.store, deps.config, deps.logger, this.conversations);
    const { auth } = deps.config;
    this.sessions = new Sessions(deps.store, { idleSeconds: auth.session_idle_seconds, absoluteSeconds: auth.session_absolute_seconds });
    this.refreshTokens = new RefreshTokens(deps.store, { ttlSeconds: auth.refresh_token_ttl_seconds, rotation: auth.refresh_token_rotation });
    const window = auth.login_window_seconds;
    this.loginThrottle = new LoginThrottle(deps.store, {
      account: { failures: auth.login_failures_per_account, windowSeconds: window },
      address: { failures: auth.login_failures_per_address, windowSeconds: window },
    });
    this.attempts = new AttemptLimit(deps.store);
    this.settings = new UserSettings(deps.store, this.directory);
    this.emailCodes = new EmailCodes(deps.store);
    this.pendingLogins = new PendingLogins(deps.store);
    this.upstreamIdentities = new UpstreamIdentities(deps.store, (tenant, userId) => this.directory.getUser(tenant, userId));
    // A removed user, or a changed password, ends every login at once.
    this.directory.onLoginsEnd((tenant, userId) => this.sessions.revokeAllOf(tenant, userId));
    this.directory.onLoginsEnd((tenant, userId) => this.refreshTokens.revokeAllOf(tenant, userId));
    this.keeper = new BootstrapKeeper(deps.store, this.directory, deps.config, deps.logger);
  }

  /**
   * A password login under the login throttle, for every API's login route:
   * refused (`rate_limited`) while the address or account is over its
   * budget, a wrong password counted as a failure (`unauthenticated`), a
   * right one clearing the account's count.
   */
  async passwordLogin(address: string, tenant: string, username: string, password: string): Promise<Principal> {
    await this.loginThrottle.check(address, username);
    let principal: Principal;
    try {
      principal = await this.directory.authenticatePassword(tenant, username, password);
    } catch (err) {
      if (err instanceof EngineError && err.code === 'unauthenticated') await this.loginThrottle.fail(address, username);
      throw err;
    }
    await this.loginThrottle.succeed(address, username);
    return principal;
  }

  /** The key for tokens the gateway signs (available after `start`; replaced when the store lost it). */
  get signingKey(): Uint8Array {
    return this.keeper.signingKey;
  }

  /** Readiness: the signing key and the bootstrap are written into the data the store holds now. */
  seeded(): Promise<boolean> {
    return this.keeper.isCurrent();
  }

  /** Applies the config's bootstrap data (again whenever the store loses it) and starts background work (the reaper). */
  async start(): Promise<void> {
    await this.keeper.start();
    await this.reaper.sweep();
    this.reaper.start();
  }

  /** Ends local runs (failed with a clear "shutting down" error after `graceMs`), then stops background work. */
  async stop(graceMs: number): Promise<void> {
    await this.keeper.stop();
    this.reaper.stop();
    await this.runner.stop(graceMs);
  }
}
