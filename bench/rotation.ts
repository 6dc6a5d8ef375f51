import { median } from './percentiles.js';

/**
 * Runs every contender once per round, in the order given, for `rounds`
 * rounds (e.g. floor, gateway, floor, gateway, ...), and answers each
 * contender's results in run order. The machine is shared and noisy:
 * interleaving spreads any slow stretch over all contenders instead of
 * handing it to one, and the median (see `medianed`) drops the odd run that
 * hit one anyway.
 */
export async function rotate<K extends string, V>(rounds: number, contenders: Record<K, () => Promise<V>>): Promise<Record<K, V[]>> {
  const names = Object.keys(contenders) as K[];
  const samples = Object.fromEntries(names.map((name) => [name, [] as V[]])) as Record<K, V[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) samples[name].push(await contenders[name]());
  }
  return samples;
}

/** A figure from several runs: their median, and the runs themselves. */
export interface Medianed {
  median: number;
  samples: number[];
}

export function medianed(samples: number[]): Medianed {
  return { median: median(samples), samples };
}
