import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { freePort } from './free-port.js';

export interface RedisServer {
  url: string;
  /** The current server process's id: outage tests pause it (SIGSTOP) and resume it (SIGCONT). */
  readonly pid: number;
  stop(): Promise<void>;
  /** SIGKILL, as a crash: no shutdown, no final save; resolves once the process is gone. */
  kill(): Promise<void>;
  /**
   * Starts the server again on the same port and folder (after `kill` or
   * `stop`): empty without persistence, its append-only file replayed with it.
   */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * `aof-always`: an append-only file in a fresh temp folder, fsynced before
   * every reply (`--appendonly yes --appendfsync always`), so whatever a
   * client was answered survives a kill. Default: no persistence.
   */
  persistence?: 'none' | 'aof-always';
}

const START_TIMEOUT_MS = 10_000;

/**
 * Starts a throwaway `redis-server` on a free 127.0.0.1 port, with no
 * persistence unless asked, and resolves once it answers PING. Used by the
 * tests and by `npm run bench` (built with it). Neither skips when Redis is
 * missing: they fail, saying what to install.
 */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const args = persistenceArgs(options.persistence ?? 'none');
  // A free port can be taken between finding it and binding it: retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return serverOn(port, args, await startOnce(port, args));
    } catch (error) {
      if (error instanceof RedisMissingError) throw error;
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

function persistenceArgs(persistence: RedisServerOptions['persistence']): string[] {
  if (persistence === 'aof-always') {
    const dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));
    return ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  }
  return ['--save', '', '--appendonly', 'no'];
}

function serverOn(port: number, args: string[], first: Running): RedisServer {
  let current = first;
  return {
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return current.child.pid!;
    },
    stop: () => current.stop(),
    async kill() {
      current.release();
      const { child } = current;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    },
    async restart() {
      await current.stop();
      current = await startOnce(port, args);
    },
  };
}

class RedisMissingError extends Error {}

interface Running {
  child: ChildProcess;
  /** Stops the process (SIGTERM, then SIGKILL) and forgets it. */
  stop(): Promise<void>;
  /** Forgets it without stopping it (it is being killed). */
  release(): void;
}

async function startOnce(port: number, persistence: string[]): Promise<Running> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? new RedisMissingError(
              'redis-server is not on PATH: the Redis tests and benchmarks need it (apt-get install redis-server)',
            )
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      resolve(new Error(`redis-server exited early (code ${code}, signal ${signal}): ${output.trim()}`)),
    );
  });
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const ready = await Promise.race([waitForPong(port), exited]);
  if (ready !== true) {
    process.off('exit', killOnExit);
    await stopChild(child);
    throw ready;
  }
  const release = (): void => void process.off('exit', killOnExit);
  return {
    child,
    release,
    async stop() {
      release();
      await stopChild(child);
    },
  };
}

/** Polls with a raw PING until the server answers +PONG; an Error on timeout. */
async function waitForPong(port: number): Promise<true | Error> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await pingOnce(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return new Error(`redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms`);
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: the process never started, so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A server an outage test left paused would never act on SIGTERM.
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(timer);
}
