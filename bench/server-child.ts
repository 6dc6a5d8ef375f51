import { BenchChild, exitWithParent, replyToParent, settledMemory } from './bench-child.js';

/**
 * Every measured server (the gateway and each floor) runs in a child process
 * of its own and answers the same IPC requests, besides its own commands:
 * `measure` (memory after forced GCs) and `stop` (close, reply, exit). This
 * file holds both sides: the parent's handle and the child's request loop.
 */

const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;

/** The parent's handle on a server child that listens on 127.0.0.1 and reports its port when ready. */
export class ServerChild {
  private constructor(
    private readonly child: BenchChild,
    readonly port: number,
    readonly name: string,
  ) {}

  /** `file` is a sibling module in dist/bench, e.g. `gateway-process.js`. */
  static async start(name: string, file: string, args: string[] = []): Promise<ServerChild> {
    const child = new BenchChild(file, args);
    try {
      const { port } = await child.next<{ port: number }>(START_TIMEOUT_MS, `${name} to start`);
      return new ServerChild(child, port, name);
    } catch (error) {
      await child.stop(0);
      throw error;
    }
  }

  /** Resident set and heap after forced full GCs. */
  measure(): Promise<NodeJS.MemoryUsage> {
    return this.request<NodeJS.MemoryUsage>({ cmd: 'measure' }, 'a memory measurement');
  }

  request<T>(message: object, what: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    return this.child.request<T>(message, timeoutMs, `${this.name}: ${what}`);
  }

  /** Asks the child to close and waits for it to exit (killed if it does not). */
  async stop(): Promise<void> {
    await this.request({ cmd: 'stop' }, 'stop', 15_000).catch(() => undefined);
    await this.child.stop();
  }
}

/** What a server child hands to `serveAsChild`. */
export interface ServedChild {
  port: number;
  close(): Promise<void>;
  /** The child's own commands (anything but `measure` and `stop`). */
  handle?(request: { cmd: string }): Promise<unknown>;
}

/** Longest a server child waits for its server to close before it exits anyway. */
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * The child's side: starts the server, reports its port, then answers each
 * request of the parent (which sends one at a time) until `stop`, or until
 * the parent goes away.
 */
export function serveAsChild(start: () => Promise<ServedChild>): void {
  exitWithParent();
  start().then(
    async (served) => {
      process.on('message', (request: { cmd: string }) => void answer(served, request));
      await replyToParent({ ok: true, value: { port: served.port } });
    },
    async (error: unknown) => {
      await replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
}

async function answer(served: ServedChild, request: { cmd: string }): Promise<void> {
  try {
    if (request.cmd === 'measure') {
      await replyToParent({ ok: true, value: await settledMemory() });
    } else if (request.cmd === 'stop') {
      const timer = setTimeout(() => process.exit(0), CLOSE_TIMEOUT_MS);
      await served.close();
      clearTimeout(timer);
      await replyToParent({ ok: true, value: null });
      process.disconnect();
    } else if (served.handle) {
      await replyToParent({ ok: true, value: await served.handle(request) });
    } else {
      throw new Error(`unknown command ${request.cmd}`);
    }
  } catch (error) {
    await replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) });
  }
}
