import type { Config, ModelConfig } from '../config/types.js';
import type { ChatMessage, Executor, Tool } from '../executors/executor.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Conversations } from './conversations.js';
import type { Directory } from './directory.js';
import type { EventInput } from './events.js';
import type { Task } from './records.js';
import { updateRecord } from './record-update.js';
import { buildPrompt } from './prompt.js';
import { ownerOf, recordInput } from './task-input.js';
import { conversationKey } from './conversation-keys.js';
import { TASK, conversationSlot, finishTask, queueOf, runLease, slotLease, slotsOf, type Outcome } from './task-finish.js';

/** Why a run was aborted; the reason decides the final state. */
export const CANCEL = 'cancelled by request';
export const SHUTDOWN = 'interrupted: the gateway is shutting down';
export const LEASE_LOST = 'interrupted: this gateway lost the task lease';
export const CANCEL_CHANNEL = 'cancel';
export const SLOT_CHANNEL = 'slot-freed';

export interface RunnerDeps {
  store: Store;
  config: Config;
  directory: Directory;
  conversations: Conversations;
  executorFor(model: ModelConfig): Executor;
  toolsFor(names: string[]): Tool[];
  logger: Logger;
  instanceId: string;
}

interface LocalRun {
  task: Task;
  controller: AbortController;
  done: Promise<void>;
  /** Wakes a run queued behind another task of its conversation. */
  wake?: () => void;
}

/**
 * Runs this instance's tasks. Each run holds a lease renewed by a heartbeat
 * (one timer per running task, none per stream), listens for cancellation
 * through the store so a cancel from any instance reaches the model call, and
 * ends its task exactly once through `finishTask`.
 */
export class TaskRunner {
  private readonly runs = new Map<string, LocalRun>();
  private readonly unlisten: (() => void)[] = [];

  constructor(private readonly deps: RunnerDeps) {
    this.unlisten.push(deps.store.listen(CANCEL_CHANNEL, (taskId) => this.runs.get(taskId)?.controller.abort(CANCEL)));
    this.unlisten.push(
      deps.store.listen(SLOT_CHANNEL, (freed) => {
        for (const run of this.runs.values()) if (conversationKey(run.task) === freed) run.wake?.();
      }),
    );
  }

  get activeCount(): number {
    return this.runs.size;
  }

  start(task: Task): void {
    const controller = new AbortController();
    const run: LocalRun = { task, controller, done: Promise.resolve() };
    this.runs.set(task.id, run);
    run.done = this.execute(run)
      .catch((err: unknown) => this.deps.logger.error({ err, taskId: task.id }, 'task runner failed'))
      .finally(() => this.runs.delete(task.id));
  }

  /** Resolves when the task (if run here) has ended. */
  async settled(taskId: string): Promise<void> {
    await this.runs.get(taskId)?.done;
  }

  /**
   * Stops taking signals, gives the local runs `graceMs` to end on their own,
   * then aborts the rest (they end as failed with a "shutting down" error) and
   * waits for them to record that.
   */
  async stop(graceMs: number): Promise<void> {
    for (const stop of this.unlisten) stop();
    const all = () => Promise.all([...this.runs.values()].map((r) => r.done));
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    for (const run of this.runs.values()) run.controller.abort(SHUTDOWN);
    await all();
  }

  private async execute(run: LocalRun): Promise<void> {
    const { store, config, logger } = this.deps;
    const { task, controller } = run;
    const heartbeat = setInterval(() => void this.beat(run), Math.max(100, Math.floor(config.engine.lease_ms / 3)));
    heartbeat.unref();
    const emitted = { text: '' };
    let outcome: Outcome;
    try {
      if (config.engine.concurrency === 'enqueue') await this.waitForSlot(run);
      const started = await updateRecord<Task>(store, TASK, task.id, (t) =>
        t.state === 'pending' && !t.cancelRequested ? { ...t, state: 'running', startedAt: Date.now() } : undefined,
      );
      if (!started?.changed) throw new Error(CANCEL);
      await recordInput(this.deps.conversations, started.value);
      outcome = await this.runExecutor(started.value, controller.signal, emitted);
    } catch (err) {
      outcome = this.failureOutcome(err, controller.signal);
      if (outcome.state === 'failed' && !controller.signal.aborted) logger.warn({ taskId: task.id, error: outcome.error }, 'task failed');
    } finally {
      clearInterval(heartbeat);
    }
    try {
      if (outcome.state !== 'succeeded' && emitted.text) {
        // The partial answer is kept when it can be; a conversation deleted meanwhile must not keep the task from ending.
        await this.deps.conversations
          .addMessage(ownerOf(task), task.conversationId, { role: 'assistant', content: emitted.text, taskId: task.id })
          .catch((err: unknown) => logger.warn({ err, taskId: task.id }, 'could not keep the partial answer'));
      }
      await finishTask(store, task, outcome, this.finishOptions());
    } finally {
      await store.release(runLease(task.id), this.deps.instanceId);
      // Scoped like the slot, so only runs of this very conversation wake up.
      await store.publish(SLOT_CHANNEL, conversationKey(task));
    }
  }

  private async runExecutor(task: Task, signal: AbortSignal, emitted: { text: string }): Promise<Outcome> {
    const { store, config, directory, conversations } = this.deps;
    const owner = ownerOf(task);
    const agent = await directory.getAgent(owner, task.agentId);
    const model = config.models.find((m) => m.name === task.model);
    if (!model) throw new Error(`model "${task.model}" is no longer configured`);
    const emit = async (event: EventInput) => {
      // Keep the text of the latest answer so a cancelled or failed run still saves what it said.
      if (event.type === 'message.started') emitted.text = '';
      if (event.type === 'message.delta') emitted.text += event.data.text;
      if (event.type === 'message.completed') emitted.text = event.data.text;
      await store.append(task.id, event, config.engine.event_log_cap);
    };
    await emit({ type: 'task.started', data: { taskId: task.id, agentId: task.agentId, model: task.model } });

    const history = await conversations.messages(owner, task.conversationId);
    const messages: ChatMessage[] = buildPrompt(agent, history, task);
    const result = await this.deps.executorFor(model).run({
      taskId: task.id,
      model,
      messages,
      tools: this.deps.toolsFor(agent.tools),
      maxLoops: task.maxLoops,
      reasoning: task.reasoning,
      // Ability-style tasks (structured inputs) answer in the agent's output schema; chat turns in free text.
      outputSchema: task.input.values ? agent.outputs : undefined,
      signal,
      emit,
    });
    for (const message of result.messages) {
      if (message.role === 'system' || message.role === 'user') continue;
      await conversations.addMessage(owner, task.conversationId, {
        role: message.role,
        content: message.content,
        taskId: task.id,
        ...(message.role === 'assistant' ? { reasoning: message.reasoning, toolCalls: message.toolCalls } : { toolCallId: message.toolCallId }),
      });
    }
    return { state: 'succeeded', outputs: result.outputs, usage: result.usage };
  }

  private failureOutcome(err: unknown, signal: AbortSignal): Outcome {
    if (signal.aborted) {
      const reason = String(signal.reason);
      return reason === CANCEL ? { state: 'cancelled' } : { state: 'failed', error: reason };
    }
    const message = err instanceof Error ? err.message : String(err);
    return message === CANCEL ? { state: 'cancelled' } : { state: 'failed', error: message };
  }

  /** Renews the leases this run holds and picks up a cancel flag set by any instance. */
  private async beat(run: LocalRun): Promise<void> {
    const { store, config, instanceId } = this.deps;
    try {
      const held = await store.renew(runLease(run.task.id), instanceId, config.engine.lease_ms);
      if (!held) run.controller.abort(LEASE_LOST);
      for (const slot of slotsOf(run.task)) await store.renew(slot, run.task.id, config.engine.lease_ms);
      const current = (await store.get<Task>(TASK, run.task.id))?.value;
      if (current?.cancelRequested) run.controller.abort(CANCEL);
      run.wake?.();
    } catch (err) {
      this.deps.logger.warn({ err, taskId: run.task.id }, 'task heartbeat failed');
    }
  }

  /** Waits until this task is first in its conversation's line and holds the slot. */
  private async waitForSlot(run: LocalRun): Promise<void> {
    const { store, config } = this.deps;
    const { task, controller } = run;
    // One abort listener for the whole wait (not one per round), waking whichever round is waiting.
    const onAbort = () => run.wake?.();
    controller.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (controller.signal.aborted) throw new Error(String(controller.signal.reason));
        const { members } = await store.indexRange(queueOf(task), { offset: 0, limit: 1 });
        if (members[0] === task.id && (await store.acquire(slotLease(conversationSlot(task)), task.id, config.engine.lease_ms))) return;
        await new Promise<void>((resolve) => (run.wake = resolve));
      }
    } finally {
      run.wake = undefined;
      controller.signal.removeEventListener('abort', onAbort);
    }
  }

  private finishOptions() {
    const { config, instanceId } = this.deps;
    return { eventLogCap: config.engine.event_log_cap, retentionSeconds: config.engine.retention_seconds, owner: instanceId };
  }

}
