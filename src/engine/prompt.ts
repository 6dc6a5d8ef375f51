import type { ChatMessage } from '../executors/executor.js';
import type { Agent, Message, Task } from './records.js';

/**
 * The messages sent to the model for a task: the agent's system prompt (with
 * the task's structured inputs, when it has any), then the conversation so
 * far, which already ends with this task's user message.
 */
export function buildPrompt(agent: Agent, history: Message[], task: Task): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = [agent.systemPrompt];
  if (task.input.values && Object.keys(task.input.values).length) {
    system.push(`Task inputs (JSON):\n${JSON.stringify(task.input.values, null, 2)}`);
  }
  const systemText = system.filter(Boolean).join('\n\n');
  if (systemText) messages.push({ role: 'system', content: systemText });
  for (const message of history) {
    switch (message.role) {
      case 'user':
        messages.push({ role: 'user', content: message.content });
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
