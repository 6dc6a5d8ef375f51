import { Redis } from 'ioredis';

/** Runs `use` on a short-lived connection of its own, so the probe never shares the gateway's. */
async function withProbe<T>(url: string, use: (probe: Redis) => Promise<T>): Promise<T> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await probe.connect();
    return await use(probe);
  } finally {
    probe.disconnect();
  }
}

/** Connections the Redis server sees, less the probe's own: shows the O(1)-connections rule holding. */
export async function connectedClients(url: string): Promise<number> {
  const match = /connected_clients:(\d+)/.exec(await withProbe(url, (probe) => probe.info('clients')));
  return match ? Number(match[1]) - 1 : Number.NaN;
}

export async function redisVersion(url: string): Promise<string> {
  return /redis_version:(\S+)/.exec(await withProbe(url, (probe) => probe.info('server')))?.[1] ?? 'unknown';
}

/**
 * Commands the server ran during `ms` of wall time, less the probe's own:
 * idle streams must add none (no polling, no per-stream reads).
 */
export function commandsDuring(url: string, ms: number): Promise<number> {
  return withProbe(url, async (probe) => {
    const processed = async (): Promise<number> => Number(/total_commands_processed:(\d+)/.exec(await probe.info('stats'))?.[1]);
    const before = await processed();
    await new Promise((resolve) => setTimeout(resolve, ms));
    // The first INFO is counted once it has run, so the second one sees it.
    return (await processed()) - before - 1;
  });
}

/** Empties the throwaway server (never a real one: the bench starts its own). */
export async function flushAll(url: string): Promise<void> {
  await withProbe(url, (probe) => probe.flushall());
}
