import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The parent's side of a measuring child process. Each measurement runs in
 * its own `node --expose-gc` child so that forced GC is available, heaps of
 * earlier measurements do not blur later ones, and a hung case can be killed
 * without taking the run down. Messages travel over the IPC channel, so the
 * child's stdout stays free and the run's stdout holds only the report.
 */
export class BenchChild {
  private readonly child: ChildProcess;
  private readonly inbox: ChildReply[] = [];
  private waiter: ((reply: ChildReply) => void) | undefined;
  private exited: Error | undefined;
  private readonly exit: Promise<void>;

  /** `file` is a sibling module in dist/bench, e.g. `sse-client-process.js`. */
  constructor(file: string, args: string[]) {
    const path = fileURLToPath(new URL(file, import.meta.url));
    this.child = spawn(process.execPath, ['--expose-gc', path, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: ChildReply) => this.receive(message));
    this.exit = new Promise((resolve) => {
      const gone = (why: string): void => {
        this.exited ??= new Error(`bench child ${file} ${why}`);
        this.waiter?.({ ok: false, error: this.exited.message });
        resolve();
      };
      this.child.once('exit', (code, signal) => gone(`exited (code ${code}, signal ${signal})`));
      this.child.once('error', (error) => gone(`failed to start: ${error.message}`));
    });
  }

  /** The child's next reply; rejects on an error reply, an early exit, or after `timeoutMs`. */
  async next<T>(timeoutMs: number, what: string): Promise<T> {
    const queued = this.inbox.shift();
    const reply =
      queued ??
      (this.exited
        ? { ok: false as const, error: this.exited.message }
        : await new Promise<ChildReply>((resolve) => {
            const timer = setTimeout(() => resolve({ ok: false, error: `timed out after ${timeoutMs} ms waiting for ${what}` }), timeoutMs);
            this.waiter = (r) => {
              clearTimeout(timer);
              this.waiter = undefined;
              resolve(r);
            };
          }));
    if (!reply.ok) throw new Error(`${what}: ${reply.error}`);
    return reply.value as T;
  }

  /** Sends a request and waits for its reply. */
  request<T>(message: unknown, timeoutMs: number, what: string): Promise<T> {
    this.child.send(message as object);
    return this.next<T>(timeoutMs, what);
  }

  /** Waits for the child to exit by itself, then kills it: a bench never leaves processes behind. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exit;
      clearTimeout(timer);
    }
  }

  private receive(message: ChildReply): void {
    if (this.waiter) this.waiter(message);
    else this.inbox.push(message);
  }
}

export type ChildReply = { ok: true; value: unknown } | { ok: false; error: string };

/** The child's side: send a result (or the error that prevented it) to the parent. */
export function replyToParent(reply: ChildReply): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this module is a bench child: run it through `npm run bench`');
  return new Promise((resolve) => send(reply, undefined, {}, () => resolve()));
}

/** A child outlives no parent: when the IPC channel goes away, so does the child. */
export function exitWithParent(): void {
  process.once('disconnect', () => process.exit(1));
}

/** Reads `--name value` from argv. */
export function argValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

/** Forces full GCs until the heap settles; needs `--expose-gc` (every bench child has it). */
export async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  if (!globalThis.gc) throw new Error('run with node --expose-gc');
  // Several rounds with a turn of the event loop between them: finalizers and
  // closed sockets release their memory only after the first collections.
  for (let round = 0; round < 4; round++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}
