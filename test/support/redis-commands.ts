import type { Redis } from 'ioredis';

/** Calls per command since the server started, from `INFO commandstats`. */
export async function commandCalls(admin: Redis): Promise<Map<string, number>> {
  const stats = (await admin.info('commandstats')) as string;
  return new Map([...stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, name, calls]) => [name!, Number(calls)]));
}

/** What the server ran between two readings, the `INFO` that read them left out. */
export function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, calls] of after) {
    const more = calls - (before.get(name) ?? 0);
    if (more > 0 && name !== 'info') out[name] = more;
  }
  return out;
}
