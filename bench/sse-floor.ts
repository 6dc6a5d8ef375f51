import type { IncomingHttpHeaders } from 'node:http';
import { ServerChild } from './server-child.js';
import type { SseFloorRequest } from './sse-floor-process.js';

/** The gateway's heartbeat interval (server.heartbeat_ms, default): the floor's shared timer ticks as often. */
export const HEARTBEAT_MS = 15_000;

/** Headers node:http sets for itself per response: the floor lets it, as the gateway's server did. */
const PER_RESPONSE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** The gateway's response headers, as the floor sends them again. */
export function floorHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' && !PER_RESPONSE.has(name)) kept[name] = value;
  }
  return kept;
}

/** Starts the bare SSE floor (sse-floor-process.ts) set up to send what the gateway sent. */
export async function startSseFloor(setup: { headers: Record<string, string>; prefix?: string[]; bodies?: Record<string, string> }): Promise<ServerChild> {
  const floor = await ServerChild.start('SSE floor', 'sse-floor-process.js');
  const request: SseFloorRequest = {
    cmd: 'setup',
    headers: setup.headers,
    prefix: (setup.prefix ?? []).join(''),
    heartbeatMs: HEARTBEAT_MS,
    bodies: setup.bodies ?? {},
  };
  await floor.request(request, 'setup');
  return floor;
}
