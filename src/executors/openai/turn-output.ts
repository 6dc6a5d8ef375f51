import { randomUUID } from 'node:crypto';
import type { EventInput, Usage } from '../../engine/events.js';
import { InlineToolCallSplitter, readInlineCall, type InlinePiece, type InlineToolCall } from './inline-tool-calls.js';
import { ThinkSplitter } from './think-splitter.js';

interface Block {
  id: string;
  text: string;
}

/**
 * What one model turn has said so far, and the events that report it: at most
 * one message per turn (opened by its first visible text), reasoning blocks
 * (a new one whenever reasoning resumes after answer text), and the turn's
 * usage. `finish()` closes whatever is open with the text that arrived, which
 * is also how a cancelled or failed turn keeps its partial output.
 *
 * With `inlineToolCalls` (the turn offered tools), `<tool_call>` blocks in the
 * answer text are taken out of it and collected in `inlineCalls`.
 */
export class TurnOutput {
  /** The answer text of the turn (reasoning excluded). */
  text = '';
  /** All reasoning of the turn, in order. */
  reasoning = '';
  /** The latest usage the server reported for this turn (some servers repeat it cumulatively). */
  usage: Usage | undefined;
  /** Tool calls the model wrote into its answer text, in order. */
  readonly inlineCalls: InlineToolCall[] = [];

  private message: Block | undefined;
  private closed = false;
  private thought: Block | undefined;
  private readonly splitter = new ThinkSplitter();
  private readonly inline: InlineToolCallSplitter | undefined;
  /** The answer as the model wrote it, tool call markup included: what a retract moves to reasoning. */
  private written = '';
  private finished = false;

  constructor(
    private readonly emit: (event: EventInput) => Promise<void>,
    options: { inlineToolCalls?: boolean } = {},
  ) {
    if (options.inlineToolCalls) this.inline = new InlineToolCallSplitter();
  }

  /** A `content` delta: may hold answer text, inline `<think>` reasoning and inline tool calls. */
  async content(delta: string): Promise<void> {
    if (this.closed) return;
    for (const piece of this.splitter.push(delta)) {
      if (piece.kind === 'retract') await this.retract();
      else if (piece.kind === 'text') await this.contentText(piece.text);
      else await this.think(piece.text);
    }
  }

  /** A reasoning delta from a dedicated field (`reasoning_content`, `reasoning`). */
  async think(delta: string): Promise<void> {
    if (!delta || this.closed) return;
    if (!this.thought) {
      this.thought = { id: `rsn_${randomUUID()}`, text: '' };
      await this.emit({ type: 'reasoning.started', data: { reasoningId: this.thought.id } });
    }
    this.thought.text += delta;
    this.reasoning += delta;
    await this.emit({ type: 'reasoning.delta', data: { reasoningId: this.thought.id, text: delta } });
  }

  /**
   * The answer is complete: flushes held-back content and completes the open
   * reasoning and message. Deltas arriving later are dropped (a turn has one
   * answer). Safe to call more than once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const piece of this.splitter.end()) {
      if (piece.kind === 'text') await this.contentText(piece.text);
      else if (piece.kind === 'reasoning') await this.think(piece.text);
    }
    for (const piece of this.inline?.end() ?? []) await this.take(piece);
    this.closed = true;
    await this.closeReasoning();
    if (this.message) {
      await this.emit({ type: 'message.completed', data: { messageId: this.message.id, text: this.message.text } });
    }
  }

  /** Ends the turn, however it went: closes the output, then reports usage. Safe to call more than once. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.close();
    if (this.usage) await this.emit({ type: 'usage', data: this.usage });
  }

  /** Answer text as written: through the inline tool call splitter when there is one. */
  private async contentText(delta: string): Promise<void> {
    this.written += delta;
    if (!this.inline) return this.answer(delta);
    for (const piece of this.inline.push(delta)) await this.take(piece);
  }

  private async take(piece: InlinePiece): Promise<void> {
    if (piece.kind === 'text') await this.answer(piece.text);
    else this.inlineCalls.push(readInlineCall(piece));
  }

  private async answer(delta: string): Promise<void> {
    if (!delta || this.closed) return;
    await this.closeReasoning();
    if (!this.message) {
      this.message = { id: `msg_${randomUUID()}`, text: '' };
      await this.emit({ type: 'message.started', data: { messageId: this.message.id, role: 'assistant' } });
    }
    this.message.text += delta;
    this.text += delta;
    await this.emit({ type: 'message.delta', data: { messageId: this.message.id, text: delta } });
  }

  /**
   * The answer so far was reasoning (an unopened `</think>`): report it as a
   * reasoning block; the message's completed text keeps only what follows.
   * Tool calls written there were part of the reasoning: they go back into it
   * as written and are not run.
   */
  private async retract(): Promise<void> {
    const moved = this.written;
    this.written = '';
    this.inline?.reset();
    this.inlineCalls.length = 0;
    this.text = '';
    if (this.message) this.message.text = '';
    await this.think(moved);
  }

  private async closeReasoning(): Promise<void> {
    if (!this.thought) return;
    const { id, text } = this.thought;
    this.thought = undefined;
    await this.emit({ type: 'reasoning.completed', data: { reasoningId: id, text } });
  }
}
