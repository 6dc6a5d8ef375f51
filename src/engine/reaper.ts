import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Conversations } from './conversations.js';
import type { Task } from './records.js';
import { ACTIVE_TASKS, TASK, finishTask, runLease } from './task-finish.js';
import { unindexExpired } from './task-listings.js';
import { WorkspaceFiles } from './workspace-files.js';

export const RUNNER_LOST = 'the gateway instance running this task stopped before it finished';

/** Due entries read per round; a sweep reads rounds until none is left. */
const BATCH = 500;

/**
 * Finds tasks whose runner died and ends them as failed, so no task stays
 * "running" past its lease. Active tasks are listed by lease deadline (set
 * at creation, moved on by every heartbeat), so a sweep reads exactly the
 * ones that are due, however many are active, and a dead runner is noticed
 * within a lease plus one sweep interval (at most a second). Every instance
 * runs one; `finishTask` makes sure a task ends only once, and completes
 * one whose ending a crash interrupted. Sweeps of one instance never overlap.
 */
export class Reaper {
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private readonly files: WorkspaceFiles;

  /** `conversations`: whose expired ones each sweep clears (retention). */
  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly conversations?: Pick<Conversations, 'sweepExpired'>,
  ) {
    this.files = new WorkspaceFiles(store, config.store.data_dir, config.engine.file_retention_seconds);
  }

  /** How often a sweep runs: a quarter of the lease, at most a second. */
  get intervalMs(): number {
    return Math.max(50, Math.min(1_000, Math.floor(this.config.engine.lease_ms / 4)));
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'reaper sweep failed')), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Ends every active task past its lease deadline whose runner is gone, and
   * takes finished tasks whose records expired out of their listings, then
   * clears expired conversations and uploads. Returns how many tasks it
   * ended (0 when a sweep is already running).
   */
  async sweep(now = Date.now()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      await unindexExpired(this.store, now);
      let ended = 0;
      for (;;) {
        const due = await this.store.indexUpTo(ACTIVE_TASKS, now, BATCH);
        for (const id of due) if (await this.reap(id, now)) ended++;
        if (due.length < BATCH) break;
      }
      await this.sweepRetention(now);
      return ended;
    } finally {
      this.sweeping = false;
    }
  }

  /** After the reaping, so retention's slower work (and its failures) never hold up ending dead tasks. */
  private async sweepRetention(now: number): Promise<void> {
    try {
      await this.conversations?.sweepExpired(now);
      await this.files.sweep(now);
    } catch (err) {
      this.logger.warn({ err }, 'retention sweep failed');
    }
  }

  private async reap(id: string, now: number): Promise<boolean> {
    const { engine } = this.config;
    // Alive after all (its heartbeat has not moved the deadline yet): look again a lease later.
    if (await this.store.holder(runLease(id))) {
      await this.store.indexAdd(ACTIVE_TASKS, id, now + engine.lease_ms);
      return false;
    }
    const task = (await this.store.get<Task>(TASK, id))?.value;
    if (!task) {
      // A create that died before storing its task, or a task deleted since.
      await this.store.indexRemove(ACTIVE_TASKS, id);
      return false;
    }
    const ended = await finishTask(this.store, task, { state: 'failed', error: RUNNER_LOST }, {
      eventLogCap: engine.event_log_cap,
      retentionSeconds: engine.retention_seconds,
    });
    if (ended) this.logger.warn({ taskId: id }, 'task ended: its runner is gone');
    return ended;
  }
}
