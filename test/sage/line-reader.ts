import type { SageClient } from './client.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- lines are whatever the server sent
export type Line = Record<string, any>;

/**
 * A stream read as the Sage web UI reads it: bytes split on `\n`, each
 * non-blank line JSON-parsed, lines that do not parse (heartbeats) skipped.
 * `raw` keeps each JSON line's exact text (without its `\n`).
 */
export class LineReader {
  readonly lines: Line[] = [];
  readonly raw: string[] = [];
  text = '';
  done: Promise<void>;
  private readonly waiters: (() => void)[] = [];
  private reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  ended = false;

  constructor(readonly response: Response) {
    this.done = this.read();
  }

  static async open(client: SageClient, method: string, path: string, json?: unknown, query?: Record<string, string>): Promise<LineReader> {
    const response = await client.fetch(method, path, { json, query });
    return new LineReader(response);
  }

  private async read(): Promise<void> {
    const reader = (this.reader = this.response.body!.getReader());
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        this.text += chunk;
        pending += chunk;
        const parts = pending.split('\n');
        pending = parts.pop()!;
        for (const part of parts) {
          if (!part.trim()) continue;
          try {
            this.lines.push(JSON.parse(part) as Line);
            this.raw.push(part);
          } catch {
            // Not JSON (a heartbeat comment): the UI skips it.
          }
        }
        for (const w of this.waiters.splice(0)) w();
      }
    } catch {
      // Aborted by the test.
    } finally {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w();
    }
  }

  async atLeast(n: number): Promise<Line[]> {
    while (this.lines.length < n && !this.ended) await new Promise<void>((r) => this.waiters.push(r));
    return this.lines;
  }

  async cancel(): Promise<void> {
    // The UI's abort: the connection goes, whatever the server still had to say.
    await this.reader?.cancel().catch(() => undefined);
    await this.done;
  }
}

/** The assistant text of a stream's lines, deltas joined. */
export const textOf = (lines: Line[]) =>
  lines
    .filter((l) => l.type === 'assistant_text')
    .map((l) => l.content as string)
    .join('');

