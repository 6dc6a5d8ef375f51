import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskEvent } from '../engine/events.js';

/**
 * The memory store's on-disk form: everything it holds, written whole at close
 * and read back at open. Expiry times are absolute (ms since epoch) so that
 * time spent stopped counts against them.
 */
export interface MemorySnapshot {
  format: typeof FORMAT;
  savedAt: number;
  records: Array<{ collection: string; id: string; version: number; value: unknown; expiresAt?: number }>;
  /** Scores that JSON cannot hold (±Infinity) are written as strings. */
  listings: Array<{ list: string; entries: Array<[member: string, score: number | string]> }>;
  logs: Array<{ id: string; epoch: string; next: number; events: TaskEvent[]; expiresAt?: number; closed?: boolean }>;
  leases: Array<{ name: string; owner: string; expiresAt: number }>;
}

const FORMAT = 'switchboard.memory-store.v1';
export const SNAPSHOT_FILE = 'memory-store.json';

export function emptySnapshot(): MemorySnapshot {
  return { format: FORMAT, savedAt: Date.now(), records: [], listings: [], logs: [], leases: [] };
}

/** Reads the snapshot in `dataDir`; `undefined` when there is none yet. */
export async function loadSnapshot(dataDir: string): Promise<MemorySnapshot | undefined> {
  const file = join(dataDir, SNAPSHOT_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A snapshot that cannot be read is an error, not an empty store: starting
  // empty would silently throw away every record at the next close.
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`memory store snapshot ${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!parsed || typeof parsed !== 'object' || (parsed as { format?: unknown }).format !== FORMAT) {
    throw new Error(`memory store snapshot ${file} is not in format ${FORMAT}`);
  }
  return parsed as MemorySnapshot;
}

/** Writes the snapshot atomically: a temporary file renamed over the old one. */
export async function saveSnapshot(dataDir: string, snapshot: MemorySnapshot): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const file = join(dataDir, SNAPSHOT_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(snapshot), 'utf8');
  await rename(tmp, file);
}

export function encodeScore(score: number): number | string {
  return Number.isFinite(score) ? score : String(score);
}

export function decodeScore(score: number | string): number {
  return typeof score === 'number' ? score : Number(score);
}
