import type { ChatMessage, ContentPart } from '../executors/executor.js';
import type { Agent, FileRef, Message, MessagePart, Task } from './records.js';

/** An image's bytes as a `data:` URL for the model; `undefined` when the file is gone. */
export type ImageLoader = (file: FileRef) => Promise<string | undefined>;

/**
 * The messages sent to the model for a task: the system prompt (the agent's,
 * or the one this run was given instead, then the run's structured context
 * and the task's structured inputs, when there are any), then the
 * conversation so far, which already ends with this task's user message. Images are read
 * now, from the files the messages point to; one removed since is named in
 * the text instead, so an old turn never breaks the conversation.
 */
export async function buildPrompt(agent: Agent, history: Message[], task: Task, loadImage: ImageLoader): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  const system = [task.overrides?.systemPrompt ?? agent.systemPrompt];
  const context = task.overrides?.context;
  if (context && Object.keys(context).length) system.push(`Context (JSON):\n${JSON.stringify(context, null, 2)}`);
  if (task.input.values && Object.keys(task.input.values).length) {
    system.push(`Task inputs (JSON):\n${JSON.stringify(task.input.values, null, 2)}`);
  }
  const systemText = system.filter(Boolean).join('\n\n');
  if (systemText) messages.push({ role: 'system', content: systemText });
  for (const message of history) {
    switch (message.role) {
      case 'user':
        messages.push({ role: 'user', content: typeof message.content === 'string' ? message.content : await partsForModel(message.content, loadImage) });
        break;
      case 'assistant':
        messages.push({
          role: 'assistant',
          content: typeof message.content === 'string' ? message.content : '',
          toolCalls: message.toolCalls,
        });
        break;
      case 'tool':
        messages.push({ role: 'tool', toolCallId: message.toolCallId ?? '', content: String(message.content) });
        break;
    }
  }
  return messages;
}

async function partsForModel(parts: MessagePart[], loadImage: ImageLoader): Promise<ContentPart[]> {
  const out: ContentPart[] = [];
  for (const part of parts) {
    if (part.type === 'text') out.push(part);
    else {
      const url = await loadImage(part.file);
      out.push(url ? { type: 'image', url } : { type: 'text', text: `[image ${part.file.path} is no longer available]` });
    }
  }
  return out;
}
