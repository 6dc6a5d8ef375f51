/**
 * Splits streamed `content` into answer text and reasoning that some models
 * put inline as `<think>…</think>`, sometimes without the opening tag (the
 * chat template already opened it). Tags may be cut across chunks, so a
 * possible partial tag at the end of a chunk is held back until the next one.
 */
import { partialTagLength } from './tag-prefix.js';

export type ContentPiece =
  | { kind: 'text' | 'reasoning'; text: string }
  /**
   * A `</think>` closed a block that never opened: every `text` piece given so
   * far in this turn was reasoning. Pieces already given cannot be recalled;
   * the consumer moves them from its answer to its reasoning.
   */
  | { kind: 'retract' };

const OPEN = '<think>';
const CLOSE = '</think>';

type Mode =
  /** Nothing but whitespace so far: an opening tag may still come. */
  | 'start'
  | 'think'
  | 'text';

export class ThinkSplitter {
  private mode: Mode = 'start';
  private held = '';
  /** A think block ended in this turn; later `</think>` are plain text. */
  private closed = false;
  /** Whitespace right after a tag is formatting, not content. */
  private trimNext = false;

  /** Feeds one content delta; returns what it can classify now, in order. */
  push(chunk: string): ContentPiece[] {
    const out: ContentPiece[] = [];
    let buf = this.held + chunk;
    this.held = '';
    for (;;) {
      if (this.trimNext) {
        buf = buf.trimStart();
        if (!buf) return out;
        this.trimNext = false;
      }
      if (this.mode === 'start') {
        const trimmed = buf.trimStart();
        if (!trimmed || (OPEN.startsWith(trimmed) && trimmed.length < OPEN.length)) {
          this.held = buf;
          return out;
        }
        if (trimmed.startsWith(OPEN)) {
          this.mode = 'think';
          this.trimNext = true;
          buf = trimmed.slice(OPEN.length);
          continue;
        }
        this.mode = 'text';
      }
      if (this.mode === 'think') {
        const end = buf.indexOf(CLOSE);
        if (end >= 0) {
          if (end > 0) out.push({ kind: 'reasoning', text: buf.slice(0, end) });
          buf = buf.slice(end + CLOSE.length);
          this.mode = 'text';
          this.closed = true;
          this.trimNext = true;
          continue;
        }
        this.holdPartial(buf, 'reasoning', out);
        return out;
      }
      // text mode
      if (this.closed) {
        if (buf) out.push({ kind: 'text', text: buf });
        return out;
      }
      const end = buf.indexOf(CLOSE);
      if (end >= 0) {
        if (end > 0) out.push({ kind: 'text', text: buf.slice(0, end) });
        out.push({ kind: 'retract' });
        buf = buf.slice(end + CLOSE.length);
        this.closed = true;
        this.trimNext = true;
        continue;
      }
      this.holdPartial(buf, 'text', out);
      return out;
    }
  }

  /** The stream ended: whatever was held back is final. An unclosed think block is all reasoning. */
  end(): ContentPiece[] {
    const rest = this.held;
    this.held = '';
    if (!rest || (this.mode === 'start' && !rest.trim())) return [];
    return [{ kind: this.mode === 'think' ? 'reasoning' : 'text', text: rest }];
  }

  /** Emits `buf` except a tail that could be the start of `</think>`. */
  private holdPartial(buf: string, kind: 'text' | 'reasoning', out: ContentPiece[]): void {
    const keep = partialTagLength(buf, CLOSE);
    const ready = buf.slice(0, buf.length - keep);
    this.held = buf.slice(buf.length - keep);
    if (ready) out.push({ kind, text: ready });
  }
}
