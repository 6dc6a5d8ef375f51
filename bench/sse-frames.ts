/**
 * Splits an SSE byte stream (already decoded to text) into whole frames, as
 * the wire has them: a frame is the text up to and including its blank line,
 * so frames can be written out again byte for byte by a floor server.
 * Comment-only blocks (`: ping` heartbeats) are not frames.
 */
export class SseFrameSplitter {
  private pending = '';

  /** The frames completed by `text`, in order. */
  push(text: string): string[] {
    const all = this.pending + text;
    const frames: string[] = [];
    // One pass over the new text per call: a 1.5 MB replay arrives in many
    // chunks, and re-scanning or re-slicing the whole rest per frame would
    // make the client, not the server, what the bench measures.
    const blankLine = /\r?\n\r?\n/g;
    let start = 0;
    for (let match = blankLine.exec(all); match; match = blankLine.exec(all)) {
      const end = match.index + match[0].length;
      const block = all.slice(start, end);
      if (!isComment(block)) frames.push(block);
      start = end;
    }
    this.pending = all.slice(start);
    return frames;
  }
}

/** The frame's `event:` name (`message` when it has none, as EventSource reads it). */
export function frameEvent(frame: string): string {
  return field(frame, 'event') ?? 'message';
}

/** The frame's `id:`, if it carries one. */
export function frameId(frame: string): string | undefined {
  return field(frame, 'id');
}

function field(frame: string, name: string): string | undefined {
  for (const line of frame.split(/\r?\n/)) {
    if (line.startsWith(`${name}:`)) return line.slice(name.length + 1).replace(/^ /, '');
  }
  return undefined;
}

function isComment(block: string): boolean {
  if (!block.startsWith(':')) return false;
  return block
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .every((line) => line.startsWith(':'));
}

const COLON = 0x3a;
const CLOSE_EVENT = Buffer.from('event: close');

/**
 * Counts frames in raw SSE bytes without decoding or copying them: a
 * thousand streams each getting a frame every few milliseconds must cost
 * the client process next to nothing, or the client's own backlog, not the
 * server, would set the arrival spread. Looks only at frame boundaries and
 * at the first bytes of each block (comment or not, `event: close` or not).
 */
export class SseFrameCounter {
  /** A blank line ended the last block and the next one has not shown its first byte yet. */
  private atBlockStart = true;
  private blockIsComment = false;
  private blockIsClose = false;
  /** The previous chunk ended in `\n` (a blank line may straddle two chunks). */
  private endedWithNewline = false;
  private frames = 0;
  private closed = false;

  /** Frames completed by `chunk`, and whether one of them was the `close` frame. */
  push(chunk: Buffer): { frames: number; closed: boolean } {
    this.frames = 0;
    this.closed = false;
    let at = 0;
    if (this.endedWithNewline && !this.atBlockStart && chunk[0] === 0x0a) {
      this.endBlock();
      at = 1;
    }
    for (;;) {
      if (this.atBlockStart && at < chunk.length) this.startBlock(chunk, at);
      const boundary = chunk.indexOf('\n\n', at);
      if (boundary === -1) break;
      this.endBlock();
      at = boundary + 2;
    }
    this.endedWithNewline = chunk.length > 0 && chunk[chunk.length - 1] === 0x0a;
    return { frames: this.frames, closed: this.closed };
  }

  private startBlock(chunk: Buffer, at: number): void {
    this.atBlockStart = false;
    this.blockIsComment = chunk[at] === COLON;
    // The gateway writes `event:` first in each frame. A name split across
    // chunks reads as not `close`; the response's end still ends the stream.
    this.blockIsClose = chunk.subarray(at, at + CLOSE_EVENT.length).equals(CLOSE_EVENT);
  }

  private endBlock(): void {
    this.atBlockStart = true;
    if (this.blockIsComment) return;
    this.frames++;
    if (this.blockIsClose) this.closed = true;
  }
}
