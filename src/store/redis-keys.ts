/**
 * Key and channel names of the Redis store. Every key carries a hash tag
 * (`{…}`) around the id it belongs to, so all keys of one log (its stream and
 * its meta hash) land in one Redis Cluster slot and one Lua script may touch
 * them together. Record keys are tagged by id alone, so a task's record and its
 * log share a slot too. Collection and listing names are fixed identifiers and
 * must not contain `{`.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  record(collection: string, id: string): string {
    const [before, after] = this.recordAround(collection);
    return `${before}${id}${after}`;
  }

  /** What a record key of `collection` holds before and after the id: for a script that builds the key of an id it read. */
  recordAround(collection: string): [before: string, after: string] {
    return [`${this.prefix}rec:${collection}:{`, '}'];
  }

  listing(list: string): string {
    return `${this.prefix}idx:{${list}}`;
  }

  /** Hash {epoch, next}: the log exists exactly when this key does. */
  logMeta(logId: string): string {
    return `${this.prefix}log:{${logId}}:meta`;
  }

  /** Stream of the events, entry id `<offset>-1`, one field `e` = event JSON. */
  logStream(logId: string): string {
    return `${this.prefix}log:{${logId}}:events`;
  }

  /** Pub/sub channel carrying each appended event's JSON. */
  logChannel(logId: string): string {
    return `${this.prefix}log:{${logId}}:live`;
  }

  lease(name: string): string {
    return `${this.prefix}lease:{${name}}`;
  }

  signal(channel: string): string {
    return `${this.prefix}sig:${channel}`;
  }
}

/** Stream entry id of an offset. Redis refuses `0-0`, hence the `-1` sequence. */
export function streamId(offset: number): string {
  return `${offset}-1`;
}

/** The lowest stream id an entry at `offset` or later can have (XRANGE start). */
export function streamIdFrom(offset: number): string {
  return `${offset}-0`;
}

/** Offset of a stream entry id written by `streamId`. */
export function offsetOfStreamId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** A score as Redis spells it (JavaScript's `Infinity` is not accepted). */
export function redisScore(score: number): string {
  if (score === Infinity) return '+inf';
  if (score === -Infinity) return '-inf';
  return String(score);
}
