import { randomUUID } from 'node:crypto';
import type { Usage } from '../../engine/events.js';
import type { ChatMessage, Executor, RunRequest, RunResult } from '../executor.js';
import { ExecutorError } from '../executor.js';
import { checkOutputs } from '../json-output.js';
import { callModel } from './model-call.js';
import { ToolCallAssembler, type AssembledToolCall } from './tool-call-assembler.js';
import { historyCall, prepareCalls, runToolCall } from './tool-runner.js';
import { TurnOutput } from './turn-output.js';
import { addUsage } from './usage.js';

const shortId = () => randomUUID().replaceAll('-', '').slice(0, 24);

interface Turn {
  text: string;
  reasoning: string;
  usage: Usage | undefined;
  calls: AssembledToolCall[];
}

/**
 * Runs tasks on any OpenAI-compatible Chat Completions server: streamed
 * turns, the tool loop (whether a turn called tools is decided by the calls
 * collected, never by `finish_reason`; calls the model wrote into its text as
 * `<tool_call>` blocks count too), and JSON outputs checked against the
 * request's schema. Holds no per-run state, so one instance serves every run.
 */
export class OpenAIExecutor implements Executor {
  async run(request: RunRequest): Promise<RunResult> {
    request.signal.throwIfAborted();
    const history: ChatMessage[] = [...request.messages];
    const added: ChatMessage[] = [];
    const maxLoops = Math.max(1, Math.floor(request.maxLoops));
    let usage: Usage | undefined;
    let toolCalls = 0;
    for (let turnNumber = 1; ; turnNumber++) {
      const injected = (await request.takeInput?.()) ?? [];
      history.push(...injected);
      added.push(...injected);
      const turn = await this.turn(request, history);
      usage = addUsage(usage, turn.usage);
      const reasoning = turn.reasoning ? { reasoning: turn.reasoning } : {};
      if (turn.calls.length === 0) {
        added.push({ role: 'assistant', content: turn.text, ...reasoning });
        const outputs = request.outputSchema ? checkOutputs(request.outputSchema, turn.text) : undefined;
        return {
          text: turn.text,
          ...(request.outputSchema ? { outputs } : {}),
          ...(usage ? { usage } : {}),
          messages: added,
          toolCalls,
          turns: turnNumber,
        };
      }
      if (turnNumber >= maxLoops) {
        throw new ExecutorError(
          `the model still wanted to call tools after ${maxLoops} turn${maxLoops === 1 ? '' : 's'}, the most this task allows`,
          'loop_limit',
        );
      }
      const prepared = prepareCalls(turn.calls, request.tools);
      const assistant: ChatMessage = {
        role: 'assistant',
        content: turn.text,
        toolCalls: prepared.map(historyCall),
        ...reasoning,
      };
      history.push(assistant);
      added.push(assistant);
      for (const call of prepared) {
        request.signal.throwIfAborted();
        const result = await runToolCall(call, request.signal, request.emit);
        history.push(result);
        added.push(result);
        toolCalls++;
      }
    }
  }

  /** One model turn. Its output is closed (and its usage reported) however the turn ends. */
  private async turn(request: RunRequest, history: ChatMessage[]): Promise<Turn> {
    // Only a turn that offered tools can call them; elsewhere the tags are the model's text.
    const inlineToolCalls = request.tools.length > 0 && request.model.inline_tool_calls;
    const output = new TurnOutput(request.emit, { inlineToolCalls });
    const calls = new ToolCallAssembler();
    try {
      await callModel(request, history, { output, calls });
    } catch (err) {
      // Keep the partial output in the log; the original failure is what the caller must see.
      await output.finish().catch(() => undefined);
      throw err;
    }
    await output.finish();
    return {
      text: output.text,
      reasoning: output.reasoning,
      usage: output.usage,
      calls: [
        ...calls.finish(() => `call_${shortId()}`),
        // Inline calls never carry an id; the prefix tells them apart in logs and history.
        ...output.inlineCalls.map((call) => ({ id: `call_inline_${shortId()}`, ...call })),
      ],
    };
  }
}
