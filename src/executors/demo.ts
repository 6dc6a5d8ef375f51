import type { ChatMessage, Executor, RunRequest, RunResult } from './executor.js';

/**
 * A deterministic, offline model so a fresh install works with no key. It
 * says plainly that it is a demo, echoes the user's last message, and streams
 * like a real model (a short pause before each chunk) so clients can watch
 * events arrive live. Given an output schema, it returns the smallest value
 * that satisfies the schema's required properties.
 */
export class DemoExecutor implements Executor {
  /** `chunkDelayMs`: pause before each streamed chunk. */
  constructor(private readonly chunkDelayMs = 20) {}

  async run(request: RunRequest): Promise<RunResult> {
    const { signal, emit } = request;
    signal.throwIfAborted();
    const said = lastUserText(request.messages);
    const reply =
      "This is Switchboard's demo model: it runs offline, calls no real model and only echoes what it gets. " +
      `You said: ${said || '(nothing)'}`;

    const reasoningId = `${request.taskId}.demo.reasoning`;
    let thought = '';
    await emit({ type: 'reasoning.started', data: { reasoningId } });
    try {
      for (const piece of REASONING) {
        await this.pause(signal);
        thought += piece;
        await emit({ type: 'reasoning.delta', data: { reasoningId, text: piece } });
      }
    } finally {
      await emit({ type: 'reasoning.completed', data: { reasoningId, text: thought } });
    }

    const messageId = `${request.taskId}.demo.message`;
    let text = '';
    await emit({ type: 'message.started', data: { messageId, role: 'assistant' } });
    try {
      for (const piece of splitWords(reply, 4)) {
        await this.pause(signal);
        text += piece;
        await emit({ type: 'message.delta', data: { messageId, text: piece } });
      }
    } finally {
      // Also on abort: the partial reply is kept.
      await emit({ type: 'message.completed', data: { messageId, text } });
    }

    const messages: ChatMessage[] = [{ role: 'assistant', content: reply, reasoning: thought }];
    const result: RunResult = { text: reply, messages, toolCalls: 0, turns: 1 };
    if (request.outputSchema) result.outputs = minimalValue(request.outputSchema);
    return result;
  }

  private pause(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, this.chunkDelayMs);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const REASONING = ['This is the demo model, ', 'so there is nothing to work out: ', 'it repeats the last message.'];

function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content.trim();
    return message.content
      .flatMap((part) => (part.type === 'text' ? [part.text] : []))
      .join(' ')
      .trim();
  }
  return '';
}

/** `text` in `count` pieces cut at word boundaries (fewer when it is short); joined they give `text` back. */
function splitWords(text: string, count: number): string[] {
  const words = text.split(/(?<=\s)/);
  const size = Math.ceil(words.length / count);
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += size) pieces.push(words.slice(i, i + size).join(''));
  return pieces;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The smallest value of a schema: its `const` or first `enum` value when it
 * has one, else "demo", 0 (or the minimum), false, [] or an object holding
 * just the required properties.
 */
export function minimalValue(schema: Record<string, unknown>): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? (isObject(schema.properties) ? 'object' : types[0]);
  switch (type) {
    case 'object': {
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === 'string') : [];
      const out: Record<string, unknown> = {};
      for (const name of required) {
        const sub = Object.hasOwn(properties, name) ? properties[name] : undefined;
        out[name] = minimalValue(isObject(sub) ? sub : {});
      }
      return out;
    }
    case 'array': {
      const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const items = isObject(schema.items) ? schema.items : {};
      return Array.from({ length: min }, () => minimalValue(items));
    }
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' && schema.minimum > 0 ? Math.ceil(schema.minimum) : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'demo';
  }
}
