/**
 * The web UI's deployment in miniature: its page at `/` and every call under
 * `/prod-api/*` forwarded to the backend with the prefix stripped, as the
 * public Sage UI's own server does. Bodies are piped both ways unbuffered so
 * streams arrive line by line, and a browser that drops a request (an abort,
 * a reload) drops the forwarded one too.
 */
import { readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PREFIX = '/prod-api';
const PAGE_DIR = dirname(fileURLToPath(import.meta.url));
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

/** A call as the backend received it, for asserting what the page sent. */
export interface ForwardedCall {
  method: string;
  /** The backend path (prefix stripped), with its query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The request body as text, complete once the request has been sent on. */
  body: string;
}

export interface WebUiServer {
  /** `http://127.0.0.1:<port>`: open it in the browser. */
  url: string;
  forwarded: ForwardedCall[];
  close(): Promise<void>;
}

export async function startWebUiServer(backendUrl: string): Promise<WebUiServer> {
  const backend = new URL(backendUrl);
  const forwarded: ForwardedCall[] = [];
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const file = FILES[url.split('?')[0]!];
    if (req.method === 'GET' && file) {
      // Read on every request: the page under test is whatever is on disk now.
      res.writeHead(200, { 'content-type': file[1], 'cache-control': 'no-store' });
      res.end(readFileSync(join(PAGE_DIR, file[0])));
      return;
    }
    if (url !== PREFIX && !url.startsWith(`${PREFIX}/`)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const path = url.slice(PREFIX.length) || '/';
    const call: ForwardedCall = { method: req.method ?? 'GET', path, headers: req.headers, body: '' };
    forwarded.push(call);
    req.on('data', (part: Buffer) => (call.body += part.toString('utf8')));
    const upstream = request(
      { host: backend.hostname, port: backend.port, method: req.method, path, headers: { ...req.headers, host: backend.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end();
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
