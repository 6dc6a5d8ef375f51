// How the Redis store reads the replies it gets: records, log bounds, stream entries, transactions.
import type { TaskEvent } from '../engine/events.js';
import { decodeEvent } from './event-codec.js';
import { offsetOfStreamId } from './redis-keys.js';
import type { LogInfo, Versioned } from './store.js';

/** One entry of a log's stream as XRANGE returns it: its id and its fields (`e`, the encoded event). */
export type StreamEntry = [id: string, fields: string[]];

export type RecordReply = Array<string | null>;
export type LogInfoReplies = [meta: Array<string | null>, oldest: StreamEntry[]];

export function versioned<T>([version, json]: RecordReply): Versioned<T> | undefined {
  if (json === null || json === undefined) return undefined;
  return { value: JSON.parse(json) as T, version: Number(version) };
}

/** The log's info from its meta hash and oldest entry; `undefined` when the log does not exist. */
export function logInfoOf([epoch, nextText, closed]: LogInfoReplies[0], oldest: StreamEntry[]): LogInfo | undefined {
  if (!epoch) return undefined;
  const next = Number(nextText);
  const firstId = oldest[0]?.[0];
  return { epoch, next, first: firstId === undefined ? next : offsetOfStreamId(firstId), closed: closed !== null && closed !== undefined };
}

export function eventsOf(entries: StreamEntry[]): TaskEvent[] {
  return entries.map(([, fields]) => decodeEvent(fields[1] ?? 'null'));
}

/** The replies of a MULTI, throwing the first failed command's error. */
export function results(replies: Array<[Error | null, unknown]> | null): unknown[] {
  if (!replies) throw new Error('redis transaction was aborted');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
