import { STATUS_CODES, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.js';
import { EngineError, type ErrorCode } from '../engine/errors.js';
import type { RequestView } from './dialect.js';
import type { RawReply } from './mount.js';

/** Renders an error for a request that Koa never saw (or that the gateway cut). */
export type RawRenderer = (error: EngineError, request: RequestView) => RawReply;

/**
 * Node's own limits for slow or oversized requests, from config. Node checks
 * the header and request timeouts on an interval (30 s by default), so the
 * interval is tightened to keep each timeout within about a second of its value.
 */
export function serverOptions(server: Config['server']): ServerOptions {
  // Node refuses a header timeout longer than the request timeout; the headers are part of the request.
  const headersTimeout = Math.min(server.headers_timeout_ms, server.request_timeout_ms);
  return {
    maxHeaderSize: server.max_header_bytes,
    headersTimeout,
    requestTimeout: server.request_timeout_ms,
    keepAliveTimeout: server.keep_alive_timeout_ms,
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
}

/**
 * Guards a listener against clients that misbehave below Koa:
 * - a request Node refuses to parse (NUL or invalid bytes in a header, a
 *   request line or headers over the limit) or that timed out gets a short
 *   answer in the envelope of the dialect its path belongs to, then the
 *   socket closes;
 * - a request body that goes quiet for `bodyIdleMs` is cut with a 408 (the
 *   request timeout alone would let a 1-byte-a-second body hold the
 *   connection for minutes);
 * - a client that half-closes after its request still gets the answer.
 */
export function guardConnections(server: Server, render: RawRenderer, bodyIdleMs: number): void {
  // A client that sends its request and then shuts down its sending side (`Connection: close`
  // and a half-close, as simple HTTP/1.0-style clients do) still reads the answer: by default
  // Node ends the socket on the client's FIN, dropping the answer of any request not done yet.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // The last request seen on each socket, so a timeout that ends it can still be attributed to its dialect.
  const lastRequest = new WeakMap<Duplex, RequestView>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const view = viewOf(req);
    lastRequest.set(req.socket, view);
    if (!hasBody(req)) return;
    watchIdleBody(req, res, bodyIdleMs, () => render(new EngineError('request_timeout', 'request body timed out'), view));
    // Answered before its body arrived (a 404, a refused credential): the rest is never read, so
    // the connection closes instead of waiting for (and discarding) a body that may never end.
    res.once('finish', () => {
      if (!req.complete) req.socket.end();
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) => {
    const pending = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const [code, message] = refusalOf(err.code);
    const view = requestLineOf(err.rawPacket) ?? lastRequest.get(socket) ?? { method: '', path: '/', get: () => '' };
    socket.end(serialize(render(new EngineError(code, message), view)));
  });
}

function refusalOf(code: string | undefined): [ErrorCode, string] {
  if (code === 'HPE_HEADER_OVERFLOW') return ['headers_too_large', 'request line or headers too large'];
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return ['request_timeout', 'request timed out'];
  return ['invalid_argument', 'malformed HTTP request'];
}

function watchIdleBody(req: IncomingMessage, res: ServerResponse, idleMs: number, reply: () => RawReply): void {
  const socket = req.socket as Socket;
  const onIdle = () => {
    if (res.headersSent) {
      socket.destroy();
      return;
    }
    const { status, headers, body } = reply();
    res.writeHead(status, { ...headers, Connection: 'close', 'Content-Length': Buffer.byteLength(body) });
    // The rest of the body is never read: close once the answer is out.
    res.end(body, () => socket.destroy());
  };
  const stop = () => {
    socket.setTimeout(0);
    req.off('timeout', onIdle);
  };
  // The socket's own idle timer, reset by every byte received (or sent). Node reports it on
  // the request while the body is incomplete; a listener there keeps Node from simply
  // destroying the socket, so the client reads why.
  req.setTimeout(idleMs, onIdle);
  req.once('end', stop);
  req.once('close', stop);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function viewOf(req: IncomingMessage): RequestView {
  return {
    method: req.method ?? '',
    path: pathOf(req.url ?? '/'),
    get: (name) => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? '');
    },
  };
}

/** The method and path of the request line in the bytes Node refused, when they can be read. */
function requestLineOf(raw: Buffer | undefined): RequestView | undefined {
  if (!raw?.length) return undefined;
  const match = /^([A-Z]{1,16}) (\/[^ \r\n]*)/.exec(raw.toString('latin1', 0, Math.min(raw.length, 8192)));
  if (!match) return undefined;
  return { method: match[1]!, path: pathOf(match[2]!), get: () => '' };
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function serialize({ status, headers, body }: RawReply): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', body);
  return lines.join('\r\n');
}
