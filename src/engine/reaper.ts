import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Task } from './records.js';
import { ACTIVE_TASKS, TASK, finishTask, runLease } from './task-finish.js';
import { unindexExpired } from './task-listings.js';

export const RUNNER_LOST = 'the gateway instance running this task stopped before it finished';

/**
 * Finds tasks whose runner died (its lease lapsed without a finish) and ends
 * them as failed, so no task stays "running" forever. Every instance runs one;
 * `finishTask` makes sure only one of them ends a given task.
 */
export class Reaper {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly logger: Logger,
    private readonly instanceId: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'reaper sweep failed')), this.config.engine.lease_ms);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * One pass over the active tasks old enough to have taken their first lease,
   * and over the finished ones whose records expired (out of their listings).
   * Returns how many tasks it ended.
   */
  async sweep(now = Date.now()): Promise<number> {
    await unindexExpired(this.store, now);
    const candidates = await this.store.indexUpTo(ACTIVE_TASKS, now, 500);
    let ended = 0;
    for (const id of candidates) {
      if (await this.store.holder(runLease(id))) continue;
      const task = (await this.store.get<Task>(TASK, id))?.value;
      if (!task || task.state === 'succeeded' || task.state === 'failed' || task.state === 'cancelled') {
        await this.store.indexRemove(ACTIVE_TASKS, id);
        continue;
      }
      const done = await finishTask(this.store, task, { state: 'failed', error: RUNNER_LOST }, {
        eventLogCap: this.config.engine.event_log_cap,
        retentionSeconds: this.config.engine.retention_seconds,
        owner: this.instanceId,
      });
      if (done) {
        ended++;
        this.logger.warn({ taskId: id }, 'task ended: its runner is gone');
      }
    }
    return ended;
  }
}
