import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { StoreUnavailableError, type Store } from '../store/store.js';
import { applyBootstrap } from './bootstrap.js';
import type { Directory } from './directory.js';
import { loadSigningKey } from './signing-key.js';

/** How often a running instance checks that the store still holds what it wrote at boot: one tiny call. */
const EPOCH_CHECK_MS = 2_000;

/**
 * Keeps in the store what an instance writes there at boot, the signing key
 * and the bootstrap, for as long as it runs: when the data epoch changes (the
 * store lost its data: Redis restarted empty, FLUSHALL), both are written
 * again, so configured tokens and API keys work again without a restart.
 * Instances noticing at once is safe: the key is created only when absent
 * and the bootstrap is idempotent. A generated key lost with the data is
 * replaced by a new one, so tokens signed before stop verifying; a configured
 * `auth.jwt_secret` is unaffected.
 */
export class BootstrapKeeper {
  private epoch?: string;
  private key?: Uint8Array;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly directory: Directory,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** The key for tokens the gateway signs (available after `start`). */
  get signingKey(): Uint8Array {
    if (!this.key) throw new Error('the engine has not started');
    return this.key;
  }

  /**
   * Readiness: true once this instance has written the signing key it uses
   * and the bootstrap into the data the store holds now. False from the
   * moment an emptied store is first read until they are written again, so
   * no instance says ready while it refuses configured credentials or signs
   * with a key the others no longer have.
   */
  async isCurrent(): Promise<boolean> {
    return this.epoch !== undefined && (await this.store.dataEpoch()) === this.epoch;
  }

  /** Writes the key and the bootstrap, then watches the epoch. */
  async start(): Promise<void> {
    await this.seed();
    this.timer = setInterval(() => this.check(), EPOCH_CHECK_MS);
    this.timer.unref();
  }

  /** Stops watching; waits for a re-seed in progress, so the store can close after. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
  }

  /** The epoch is read first: data lost while seeding shows as a newer epoch at the next check. */
  private async seed(): Promise<void> {
    const epoch = await this.store.dataEpoch();
    const before = this.key;
    this.key = await loadSigningKey(this.store, this.config.auth.jwt_secret);
    if (before && Buffer.compare(before, this.key) !== 0) {
      this.logger.warn('the signing key was lost with the data: tokens signed before no longer verify (set auth.jwt_secret to keep them)');
    }
    await applyBootstrap(this.directory, this.config);
    this.epoch = epoch;
  }

  private check(): void {
    // One check at a time: a slow store must not pile them up.
    if (this.checking) return;
    this.checking = (async () => {
      if ((await this.store.dataEpoch()) === this.epoch) return;
      this.logger.warn('the store lost its data (new data epoch): writing the signing key and the bootstrap again');
      await this.seed();
      this.logger.info('bootstrap applied again: serving');
    })()
      .catch((err: unknown) => {
        // An outage is reported by readiness; the next check tries again.
        if (err instanceof StoreUnavailableError) this.logger.debug({ err }, 'data epoch check: store unavailable');
        else this.logger.error({ err }, 'data epoch check failed');
      })
      .finally(() => (this.checking = undefined));
  }
}
