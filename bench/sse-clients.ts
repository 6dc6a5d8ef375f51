import { request, type ClientRequest } from 'node:http';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Raw HTTP clients that open SSE streams and keep them open, doing nothing
 * else: the cheapest possible client, so the bench measures the server. One
 * socket per stream (no agent pooling), as separate browsers would have.
 */
export class IdleSseClients {
  private readonly requests = new Set<ClientRequest>();

  get size(): number {
    return this.requests.size;
  }

  /** Opens one stream per path, `parallel` connects at a time; resolves once every stream sent its headers. */
  async open(port: number, paths: string[], parallel = 50): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < paths.length) {
        const path = paths[next++];
        if (path !== undefined) await this.openOne(port, path);
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, paths.length) }, worker));
  }

  /** Hangs up every stream, as clients that leave would. */
  closeAll(): void {
    for (const req of this.requests) req.destroy();
    this.requests.clear();
  }

  private openOne(port: number, path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false, headers: { accept: 'text/event-stream' } });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error(`GET ${path}: no response headers within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
      req.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`GET ${path}: ${error.message}`));
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        const type = res.headers['content-type'] ?? '';
        if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
          req.destroy();
          reject(new Error(`GET ${path}: expected a 200 event stream, got ${res.statusCode} ${type}`));
          return;
        }
        // Read and drop whatever comes (heartbeats), so the server never sees a stalled reader.
        res.resume();
        // After the headers, errors are our own hang-ups: nothing to report.
        req.removeAllListeners('error');
        req.on('error', () => {});
        this.requests.add(req);
        resolve();
      });
      req.end();
    });
  }
}
