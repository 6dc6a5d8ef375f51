import type { Client } from './api.js';

export interface V1Event {
  idx: number;
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- event data is free-form per type
  data: any;
  ts: number;
}

export interface ClientRun {
  taskId: string;
  conversationId: string;
  status: string;
  error: string | null;
  events: V1Event[];
  /** Every text_chunk's content, appended in the order received. */
  text: string;
  polls: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What an existing Agents v1 client does: send the message, then poll
 * `/tasks/{id}?from=<next_offset>` at a fixed interval (0.5 s in the wild,
 * shorter here) until the status is no longer "running", handling events by
 * type and ignoring types it does not know.
 */
export async function sendAndPoll(
  api: Client,
  body: Record<string, unknown>,
  options: { intervalMs?: number; onEvent?: (event: V1Event) => void | Promise<void>; maxPolls?: number } = {},
): Promise<ClientRun> {
  const sent = await api.post('/api/v1/messages', { json: body });
  if (sent.status !== 202) throw new Error(`send failed: ${sent.status} ${JSON.stringify(sent.body)}`);
  return pollToEnd(api, sent.body.task_id, sent.body.conversation_id, options);
}

export async function pollToEnd(
  api: Client,
  taskId: string,
  conversationId: string,
  options: { intervalMs?: number; onEvent?: (event: V1Event) => void | Promise<void>; maxPolls?: number } = {},
): Promise<ClientRun> {
  const run: ClientRun = { taskId, conversationId, status: 'running', error: null, events: [], text: '', polls: 0 };
  let offset = 0;
  while (run.polls < (options.maxPolls ?? 300)) {
    run.polls++;
    const poll = await api.get(`/api/v1/tasks/${taskId}`, { query: { from: String(offset) } });
    if (poll.status !== 200) throw new Error(`poll failed: ${poll.status} ${JSON.stringify(poll.body)}`);
    const data = poll.body.data;
    for (const event of data.events as V1Event[]) {
      run.events.push(event);
      if (event.type === 'text_chunk') run.text += event.data.content;
      await options.onEvent?.(event);
    }
    offset = data.next_offset;
    run.status = data.status;
    run.error = data.error;
    if (data.status !== 'running') return run;
    await sleep(options.intervalMs ?? 100);
  }
  throw new Error(`task ${taskId} still running after ${run.polls} polls; saw ${run.events.map((e) => e.type).join(',')}`);
}
