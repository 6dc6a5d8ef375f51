import { Redis } from 'ioredis';

/** One `INFO <section>` on a short-lived connection of its own. */
async function info(url: string, section: string): Promise<string> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await probe.connect();
    return await probe.info(section);
  } finally {
    probe.disconnect();
  }
}

/** Connections the Redis server sees, less the probe's own: shows the O(1)-connections rule holding. */
export async function connectedClients(url: string): Promise<number> {
  const match = /connected_clients:(\d+)/.exec(await info(url, 'clients'));
  return match ? Number(match[1]) - 1 : Number.NaN;
}

export async function redisVersion(url: string): Promise<string> {
  return /redis_version:(\S+)/.exec(await info(url, 'server'))?.[1] ?? 'unknown';
}

/**
 * Commands the server ran during `ms` of wall time, less the probe's own:
 * with every stream idle this should be 0 (no polling, no per-stream reads).
 */
export async function commandsDuring(url: string, ms: number): Promise<number> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const processed = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);
  try {
    await probe.connect();
    const before = await processed();
    await new Promise((resolve) => setTimeout(resolve, ms));
    // The first INFO is counted once it has run, so the second one sees it.
    return (await processed()) - before - 1;
  } finally {
    probe.disconnect();
  }
}
