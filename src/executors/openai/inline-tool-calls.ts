/**
 * Servers without a tool-call parser (vLLM, llama.cpp serving Hermes- or
 * Qwen-style models with the parser off) write tool calls into `content` as
 * `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, one block per
 * call. This splits the answer text of a turn that offered tools into text
 * and such blocks. Only a possible opening tag at the end of a chunk is held
 * back (and whitespace that may turn out to be formatting around a block), so
 * replies without blocks stream as before.
 *
 * A block still open when the stream ends (the model stopped or was cut off
 * before `</tool_call>`) is a call too, never text: the markup must not reach
 * the answer. Its body is run when it is a complete call, otherwise reported
 * as a failed call so the model can try again.
 */
import { partialTagLength } from './tag-prefix.js';

export type InlinePiece = { kind: 'text'; text: string } | { kind: 'call'; body: string; closed: boolean };

/** A recognised block as a call without id; `error` is set when it cannot run whatever its arguments. */
export interface InlineToolCall {
  name: string;
  /** The arguments' JSON text, or the block as written when it is not a JSON call. */
  arguments: string;
  error?: string;
}

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';
/** The name given to a block whose tool cannot be made out, so the model still sees its call answered. */
const UNNAMED = 'invalid_tool_call';

type Mode =
  /** Only whitespace since the turn began or a block ended: a block may still come. */
  | 'gap'
  | 'text'
  | 'call';

export class InlineToolCallSplitter {
  private mode: Mode = 'gap';
  /** Text not yet classified: whitespace, or the start of an opening tag. */
  private held = '';
  /** The open block's text so far, and its last characters (where a closing tag may have begun). */
  private body: string[] = [];
  private tail = '';
  /** Whitespace after a block is formatting between blocks, not answer text; at the turn's start it is kept. */
  private afterBlock = false;

  /** Feeds one piece of answer text; returns what it can classify now, in order. */
  push(chunk: string): InlinePiece[] {
    const out: InlinePiece[] = [];
    let buf = this.held + chunk;
    this.held = '';
    for (;;) {
      if (this.mode === 'call') {
        // Only the new text and the few characters before it can hold the closing tag:
        // searching the whole block on every chunk would be quadratic in long arguments.
        const window = this.tail + buf;
        const at = window.indexOf(CLOSE);
        if (at < 0) {
          this.body.push(buf);
          this.tail = window.slice(-(CLOSE.length - 1));
          return out;
        }
        const whole = this.body.join('') + buf;
        const end = whole.length - window.length + at;
        out.push({ kind: 'call', body: whole.slice(0, end), closed: true });
        buf = whole.slice(end + CLOSE.length);
        this.body = [];
        this.tail = '';
        this.mode = 'gap';
        this.afterBlock = true;
        continue;
      }
      if (this.mode === 'gap') {
        const trimmed = buf.trimStart();
        if (!trimmed || (OPEN.startsWith(trimmed) && trimmed.length < OPEN.length)) {
          this.held = buf;
          return out;
        }
        if (this.afterBlock || trimmed.startsWith(OPEN)) buf = trimmed;
        this.mode = 'text';
      }
      const start = buf.indexOf(OPEN);
      if (start >= 0) {
        if (start > 0) out.push({ kind: 'text', text: buf.slice(0, start) });
        buf = buf.slice(start + OPEN.length);
        this.mode = 'call';
        continue;
      }
      const keep = partialTagLength(buf, OPEN);
      const ready = buf.slice(0, buf.length - keep);
      this.held = buf.slice(buf.length - keep);
      if (ready) out.push({ kind: 'text', text: ready });
      return out;
    }
  }

  /** The stream ended: an open block is a call; a held partial tag was text after all. */
  end(): InlinePiece[] {
    const { mode, held, afterBlock } = this;
    const body = this.body.join('');
    this.reset();
    if (mode === 'call') return [{ kind: 'call', body, closed: false }];
    const text = mode === 'gap' && (afterBlock || !held.trim()) ? held.trimStart() : held;
    return text ? [{ kind: 'text', text }] : [];
  }

  /** Forgets everything held: the text fed so far turned out not to be the answer. */
  reset(): void {
    this.mode = 'gap';
    this.held = '';
    this.body = [];
    this.tail = '';
    this.afterBlock = false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a block's body as a call. Hermes/Qwen templates write `arguments`;
 * Llama-style templates write `parameters`. Arguments given as JSON text are
 * passed on as they are (decoding them is the tool runner's job).
 */
export function readInlineCall(piece: { body: string; closed: boolean }): InlineToolCall {
  const body = piece.body.trim();
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    const name = /"name"\s*:\s*"([^"\\]+)"/.exec(body)?.[1] ?? UNNAMED;
    const error = piece.closed
      ? `the tool call is not valid JSON: ${body.slice(0, 200)}`
      : `the tool call was cut off before ${CLOSE}: ${body.slice(0, 200)}`;
    return { name, arguments: body, error };
  }
  if (!isObject(value) || typeof value.name !== 'string' || !value.name) {
    return { name: UNNAMED, arguments: body, error: 'the tool call names no tool: expected {"name": ..., "arguments": {...}}' };
  }
  const args = value.arguments ?? value.parameters ?? {};
  return { name: value.name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
}
