import { queryParam } from '../../http/request-params.js';
import { EngineError, conflict, invalid, quote } from '../../engine/errors.js';
import type { Principal, Task } from '../../engine/records.js';
import { routeOf, type Handler } from '../../http/dialect.js';
import { userOf } from '../../http/credentials.js';
import type { BitAgentContext } from './context.js';
import { checkInputs, inputsAsText } from './input-schema.js';
import { objectBody, optionalBoolean, optionalObject, optionalString, requiredText, type Fields } from './request-fields.js';
import { spaceView } from './space-view.js';
import { replayTask, streamTask } from './task-stream.js';
import { metaOf, stateOf, taskDetail, type BitAgentTaskMeta } from './task-view.js';
import { isFinal } from '../../engine/task-finish.js';

const EXECUTOR_TYPES = ['cloud', 'client'] as const;

/** Task management: create, detail, cancel, stream and space view. */
export function taskHandlers(c: BitAgentContext): Record<string, Handler> {
  return {
    taskCreate: async (ctx, caller) => {
      const principal = userOf(caller);
      const body = objectBody(ctx);
      const abilityId = requiredText(body, 'ability_id', 1, 256);
      const executorType = body.executor_type;
      if (executorType === undefined || executorType === null) throw invalid('executor_type is required', { field: 'executor_type' });
      if (!EXECUTOR_TYPES.includes(executorType as never)) throw invalid('executor_type must be "cloud" or "client"', { field: 'executor_type' });
      const executorId = optionalString(body, 'executor_id', 256) ?? null;
      const inputs = optionalObject(body, 'inputs') ?? {};
      const extensions = readExtensions(body);

      const agent = await c.engine.directory.getAgent(principal, abilityId);
      checkInputs(agent.inputs, inputs);
      const model = extensions.llm_registry;
      if (typeof model === 'string') {
        const valid = c.config.models.map((m) => m.name);
        if (!valid.includes(model)) {
          throw invalid(`extensions.llm_registry: unknown model ${quote(model)}; valid: ${valid.join(', ')}`, { field: 'extensions.llm_registry', valid });
        }
      }
      const meta: BitAgentTaskMeta = {
        executor_type: executorType as BitAgentTaskMeta['executor_type'],
        executor_id: executorType === 'client' ? executorId : null,
        extensions,
        ability: { id: agent.id, name: agent.name, description: agent.description || null },
      };
      const idempotencyKey = ctx.get('idempotency-key').trim() || undefined;
      if (idempotencyKey && idempotencyKey.length > 256) throw invalid('Idempotency-Key must be at most 256 characters', { field: 'Idempotency-Key' });
      const task = await c.engine.tasks.create(principal, {
        agentId: agent.id,
        concurrency: routeOf(ctx).concurrency,
        input: { text: inputsAsText(inputs, agent.name), values: inputs },
        ...(typeof model === 'string' ? { model } : {}),
        executor: executorType === 'client' ? 'remote' : 'local',
        idempotencyKey,
        meta: { bitagent: meta },
      });
      return task.id;
    },

    taskDetail: async (ctx, caller) => {
      const principal = userOf(caller);
      const task = await c.engine.tasks.get(principal, String(ctx.params.task_id));
      return detailOf(c, principal, task);
    },

    taskCancel: async (ctx, caller) => {
      const principal = userOf(caller);
      const task = await c.engine.tasks.get(principal, String(ctx.params.task_id));
      if (isFinal(task)) {
        throw conflict(`the task has already ended (${stateOf(task)}); only waiting or running tasks can be cancelled`, { state: stateOf(task) });
      }
      const after = await c.engine.tasks.cancel(principal, task.id);
      return after.id;
    },

    taskStream: async (ctx, caller) => {
      const principal = userOf(caller);
      return streamTask(ctx, c, principal, String(ctx.params.task_id));
    },

    taskSpaceView: async (ctx, caller) => {
      const principal = userOf(caller);
      const taskId = queryParam(ctx, 'task_id')?.trim();
      if (!taskId) throw invalid('task_id is required', { field: 'task_id' });
      const { tracker } = await replayTask(c, principal, taskId);
      return spaceView(ctx, c, principal, [tracker], []);
    },
  };
}

/** `extensions` with the document's four options type-checked; other keys are kept as given. */
function readExtensions(body: Fields): Record<string, unknown> {
  const given = optionalObject(body, 'extensions') ?? {};
  const out: Record<string, unknown> = {};
  for (const name of ['use_incognito', 'skip_error', 'close_browser']) {
    out[name] = optionalBoolean(given, name, `extensions.${name}`) ?? false;
  }
  const model = given.llm_registry;
  if (model !== undefined && model !== null && (typeof model !== 'string' || !model.trim())) {
    throw invalid('extensions.llm_registry must be a model name or null', { field: 'extensions.llm_registry' });
  }
  out.llm_registry = model ?? null;
  for (const [name, value] of Object.entries(given)) if (!(name in out)) out[name] = value;
  return out;
}

async function detailOf(c: BitAgentContext, principal: Principal, task: Task) {
  const meta = metaOf(task);
  const abilityName = meta?.ability.name ?? (await c.engine.directory.getAgent(principal, task.agentId).then((a) => a.name, () => task.agentId));
  let outputs = task.outputs;
  // Abilities without an output schema answer in text: their outputs are that text.
  if (task.state === 'succeeded' && outputs === undefined) {
    outputs = await replayTask(c, principal, task.id).then(
      ({ tracker }) => ({ text: tracker.lastAnswer }),
      (err: unknown) => {
        if (err instanceof EngineError) return null;
        throw err;
      },
    );
  }
  return taskDetail(task, principal, abilityName, outputs);
}
