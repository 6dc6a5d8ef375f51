import type { ConcurrencyPolicy, Config } from '../config/types.js';
import type { Store, Subscription } from '../store/store.js';
import type { ConversationDependent, Conversations } from './conversations.js';
import type { Directory } from './directory.js';
import { userKey } from './directory.js';
import { EngineError, conflict, invalid, notFound, quote } from './errors.js';
import type { StreamPosition, TaskEvent } from './events.js';
import { newId } from './ids.js';
import type { Principal, RunOverrides, Task, TaskInput } from './records.js';
import { updateRecord } from './record-update.js';
import { CANCEL_CHANNEL, type TaskRunner } from './runner.js';
import { admitRunning } from './running-limit.js';
import { recordInput } from './task-input.js';
import { ACTIVE_TASKS, TASK, abandonCreate, cancelFlag, conversationSlot, finishTask, isFinal, loggedOutcome, queueOf, runLease, runningOf, slotLease } from './task-finish.js';
import { indexTask, taskList, type TaskScope } from './task-indexes.js';
import { forgetTask, listTasks } from './task-listings.js';

export interface NewTask {
  agentId: string;
  /** An existing conversation of the principal; a new one is created when absent. */
  conversationId?: string;
  /** Id for the conversation created when `conversationId` is absent. */
  newConversationId?: string;
  input: TaskInput;
  /** A configured model name; the agent's, then the default, when absent. */
  model?: string;
  reasoning?: boolean;
  maxLoops?: number;
  /** The same key from the same user returns the task the first call created. */
  idempotencyKey?: string;
  /**
   * Extra exclusive slots (e.g. `user:<tenant>/<id>` for "one running task per
   * user"): creation fails with a conflict while another task holds one.
   */
  exclusive?: string[];
  /** `remote`: wait for a client executor instead of running here. */
  executor?: 'local' | 'remote';
  /** This task's policy in a busy conversation (a route's own, e.g. Sage's web stream interrupts); the configured one when absent. */
  concurrency?: ConcurrencyPolicy;
  overrides?: RunOverrides;
  meta?: Record<string, unknown>;
}

export interface EventPage {
  task: Task;
  events: TaskEvent[];
  /** The offset to read from next time. */
  next: number;
  epoch: string;
  /** The oldest offset the log still keeps (older ones were dropped by its cap). */
  first: number;
  /** The log's next offset: how many events were ever appended to it. */
  end: number;
  /** Nothing more will be appended: the log was closed (or is gone). */
  closed: boolean;
}

const idempotency = (p: Principal, key: string) => `idem:${userKey(p.tenant, p.userId)}:${key}`;

/** Creating, reading, listing, following and cancelling tasks, each scoped to its owner. */
export class Tasks implements ConversationDependent {
  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly directory: Directory,
    private readonly conversations: Conversations,
    private readonly runner: TaskRunner,
    private readonly instanceId: string,
  ) {
    // A conversation's tasks go with it, in every engine that has tasks.
    conversations.onDelete(this);
  }

  async create(principal: Principal, request: NewTask, now = Date.now()): Promise<Task> {
    const agent = await this.directory.getAgent(principal, request.agentId);
    const model = request.model ?? agent.model ?? this.config.default_model;
    const models = this.config.models.map((m) => m.name);
    if (!models.includes(model)) {
      throw invalid(`unknown model ${quote(model)}; valid models: ${models.join(', ')}`, { field: 'model', valid: models });
    }
    const id = newId('task');
    if (request.idempotencyKey) {
      const key = idempotency(principal, request.idempotencyKey);
      if (!(await this.store.acquire(key, id, this.config.engine.idempotency_ttl_seconds * 1000))) {
        const existing = await this.store.holder(key);
        if (existing) return this.get(principal, existing);
      }
    }
    const local = (request.executor ?? 'local') === 'local';
    try {
      if (local) await admitRunning(this.store, principal, id, this.config.limits.running_tasks_per_user, now);
      return await this.createUnder(principal, request, { id, model, maxLoops: agent.maxLoops }, now);
    } catch (err) {
      if (local) await this.store.indexRemove(runningOf(principal.tenant, principal.userId), id);
      if (request.idempotencyKey) await this.store.release(idempotency(principal, request.idempotencyKey), id);
      throw err;
    }
  }

  private async createUnder(
    principal: Principal,
    request: NewTask,
    { id, model, maxLoops }: { id: string; model: string; maxLoops: number },
    now: number,
  ): Promise<Task> {
    const conversation = request.conversationId
      ? await this.conversations.get(principal, request.conversationId)
      : await this.conversations.create(principal, { id: request.newConversationId, agentId: request.agentId }, now);
    const executor = request.executor ?? 'local';
    const { engine } = this.config;

    const slots = request.exclusive ?? [];
    const ref = { tenant: principal.tenant, userId: principal.userId, conversationId: conversation.id };
    const local = executor === 'local';
    const policy = request.concurrency ?? engine.concurrency;
    // The run lease and the reaper's entry (due when the lease would lapse) come first: a
    // create that dies anywhere after leaves nothing the reaper cannot find and clear.
    if (local) {
      await this.store.acquire(runLease(id), this.instanceId, engine.lease_ms);
      await this.store.indexAdd(ACTIVE_TASKS, id, now + engine.lease_ms);
    }
    const task: Task = {
      id,
      tenant: principal.tenant,
      userId: principal.userId,
      agentId: request.agentId,
      conversationId: conversation.id,
      model,
      state: 'pending',
      input: request.input,
      reasoning: request.reasoning ?? false,
      maxLoops: request.maxLoops ?? maxLoops,
      executor,
      concurrency: policy,
      ...(request.overrides ? { overrides: request.overrides } : {}),
      cancelRequested: false,
      slots,
      epoch: '',
      createdAt: now,
      meta: request.meta ?? {},
    };
    try {
      if (local) {
        // The conversation's slot is named by its client id in a refusal, like the other slots.
        const own = { lease: conversationSlot(ref), shown: conversation.id };
        if (policy === 'interrupt') await this.interruptHolder(principal, own.lease, id);
        const wanted = [...(policy === 'enqueue' ? [] : [own]), ...slots.map((name) => ({ lease: name, shown: name }))];
        await this.takeSlots(wanted, id);
        if (policy === 'enqueue') await this.store.indexAdd(queueOf(ref), id, now);
      }
      task.epoch = await this.store.createLog(id);
      await this.store.put(TASK, id, task, { ifVersion: 0 });
      await indexTask(this.store, task);
    } catch (err) {
      // Refused or failed part-way: nothing of the task may hold a slot or a place in line.
      if (local) await abandonCreate(this.store, task, this.instanceId);
      throw err;
    }
    // A local task records its input when it starts (a queued task must not show up in the
    // history of the task ahead of it); a remote one records it now.
    if (executor === 'remote') await recordInput(this.conversations, task);
    if (executor === 'local') this.runner.start(task);
    return task;
  }

  /**
   * `interrupt`: cancels the task running in the conversation and waits for
   * it to end (its partial answer kept, its log closed), so the new one can
   * take the slot. Two interrupting at once: one gets the slot, the other a conflict.
   */
  private async interruptHolder(principal: Principal, slot: string, self: string): Promise<void> {
    const holder = await this.store.holder(slotLease(slot));
    if (!holder || holder === self) return;
    await this.cancel(principal, holder).catch((err: unknown) => {
      // Gone meanwhile (ended and expired, or deleted): nothing left to interrupt.
      if (!(err instanceof EngineError && err.code === 'not_found')) throw err;
    });
  }

  /** Takes every slot or none: on the first one held by another task, frees the rest and refuses. */
  private async takeSlots(slots: { lease: string; shown: string }[], taskId: string): Promise<void> {
    const taken: string[] = [];
    for (const { lease, shown } of slots) {
      if (!(await this.store.acquire(slotLease(lease), taskId, this.config.engine.lease_ms))) {
        for (const held of taken) await this.store.release(slotLease(held), taskId);
        throw conflict('another task is already running here', { slot: shown });
      }
      taken.push(lease);
    }
  }

  /** The principal's task; anyone else's is "not found". */
  async get(principal: Principal, id: string): Promise<Task> {
    const task = (await this.store.get<Task>(TASK, id))?.value;
    if (!task || task.tenant !== principal.tenant || task.userId !== principal.userId) throw notFound('task', id);
    return task;
  }

  /**
   * The principal's tasks, newest first: all, one agent's, or one
   * conversation's (one they do not have is "not found").
   */
  async list(principal: Principal, page: { offset: number; limit: number }, scope: TaskScope = {}): Promise<{ items: Task[]; total: number }> {
    if (scope.conversationId !== undefined) await this.conversations.get(principal, scope.conversationId);
    return listTasks(this.store, principal, page, scope);
  }

  /** Stops (cancels) and then forgets every task of a conversation being deleted. */
  async removeConversation(owner: Principal, conversationId: string): Promise<void> {
    const list = taskList(owner, { conversationId });
    for (;;) {
      const { members } = await this.store.indexRange(list, { offset: 0, limit: 100 });
      if (members.length === 0) return;
      for (const id of members) {
        const task = (await this.store.get<Task>(TASK, id))?.value;
        if (task && !isFinal(task)) await this.cancel(owner, id);
        // A record already expired was taken out of its other listings by the reaper (or soon will be).
        await forgetTask(this.store, task ?? { id, tenant: owner.tenant, userId: owner.userId, agentId: '', conversationId });
      }
    }
  }

  /**
   * Asks the task to stop. A task that never started ends here and now; a
   * running one is flagged and signalled, and its runner (on whichever
   * instance) aborts the model call. Returns once the task has ended, so a
   * read right after sees `cancelled` on every instance, or after a bounded
   * wait (a lease and a second: by then its runner, or the reaper, has ended
   * it) with the state it has then. Cancelling a finished task changes nothing.
   */
  async cancel(principal: Principal, id: string): Promise<Task> {
    const task = await this.get(principal, id);
    if (isFinal(task)) return task;
    const { engine } = this.config;
    await updateRecord<Task>(this.store, TASK, id, (t) => (t.cancelRequested ? undefined : { ...t, cancelRequested: true }));
    // What the runner's heartbeat checks, should it miss the signal below (pub/sub is fire-and-forget).
    await this.store.acquire(cancelFlag(id), 'requested', engine.lease_ms * 3);
    const running = task.executor === 'local' && (await this.store.holder(runLease(id)));
    if (!running) {
      await finishTask(this.store, task, { state: 'cancelled' }, { eventLogCap: engine.event_log_cap, retentionSeconds: engine.retention_seconds });
      return this.get(principal, id);
    }
    await this.store.publish(CANCEL_CHANNEL, id);
    await this.runner.settled(id);
    const deadline = Date.now() + engine.lease_ms + 1_000;
    for (;;) {
      const current = await this.get(principal, id);
      if (isFinal(current) || Date.now() > deadline) return current;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * A page of the task's events from `from` (an offset below the first kept
   * event starts there), with the record and the log's bounds: one store
   * call, one consistent snapshot (one round trip on Redis). A log that is
   * gone (expired before its record) reads as empty and closed.
   */
  async read(principal: Principal, id: string, from: number, limit: number): Promise<EventPage> {
    const start = Math.max(0, from);
    const { record, log, events } = await this.store.getWithLog<Task>(TASK, id, id, start, limit);
    const task = record?.value;
    // The same owner check as `get`: another user's task is "not found", its events never leave the store call.
    if (!task || task.tenant !== principal.tenant || task.userId !== principal.userId) throw notFound('task', id);
    const last = events.at(-1);
    const closed = log?.closed ?? true;
    return {
      // An ending closes the log first and marks the record after: in between (or after a crash there,
      // until the reaper comes) the log already says how the task ended, and a reader is told so.
      task: closed && !isFinal(task) ? await this.endedAsLogged(task) : task,
      events,
      next: last ? last.offset + 1 : start,
      epoch: log?.epoch ?? task.epoch,
      first: log?.first ?? 0,
      end: log?.next ?? 0,
      closed,
    };
  }

  private async endedAsLogged(task: Task): Promise<Task> {
    const outcome = await loggedOutcome(this.store, task.id);
    return outcome ? { ...task, ...outcome, usage: outcome.usage ?? task.usage } : task;
  }

  /** The newest event of the principal's task, if its log still keeps one. */
  async latestEvent(principal: Principal, id: string): Promise<TaskEvent | undefined> {
    await this.get(principal, id);
    const info = await this.store.logInfo(id);
    if (!info || info.next === 0) return undefined;
    return (await this.store.read(id, info.next - 1, 1))[0];
  }

  /**
   * Follows the task's log from a position: stored events first, then live
   * ones, each exactly once. A position from another epoch (a store that lost
   * the log) is refused rather than silently skipping events.
   */
  async follow(principal: Principal, id: string, from: Partial<StreamPosition>, onEvent: (e: TaskEvent) => void | Promise<void>): Promise<Subscription> {
    await this.get(principal, id);
    const info = await this.store.logInfo(id);
    if (!info) throw notFound('task events', id);
    if (from.epoch !== undefined && from.epoch !== info.epoch) {
      throw new EngineError('epoch_mismatch', 'the stream position belongs to an earlier epoch of this log', {
        epoch: info.epoch,
      });
    }
    return this.store.subscribe(id, Math.max(0, from.offset ?? 0), onEvent);
  }
}
