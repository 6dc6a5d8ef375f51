import type { EventInput, TaskEvent } from '../engine/events.js';

/**
 * How events cross the store boundary. Both stores keep an event as the JSON
 * text a caller would get back from Redis, and hand out frozen objects: one
 * decoded event is shared by every local subscriber of a log, so none of them
 * may change what the others see.
 */

/** The JSON of an event's own fields; a stale `offset`/`ts` on the input is dropped. */
export function encodeEventInput(event: EventInput): string {
  const { offset: _offset, ts: _ts, ...rest } = event as EventInput & { offset?: unknown; ts?: unknown };
  return JSON.stringify(rest);
}

/** Builds the stored JSON of an event; the same layout the Redis append script writes. */
export function encodeStoredEvent(input: string, offset: number, ts: number): string {
  return `{"offset":${offset},"ts":${ts},${input.slice(1)}`;
}

export function decodeEvent(json: string): TaskEvent {
  return deepFreeze(JSON.parse(json) as TaskEvent);
}

/** Freezes a JSON value and everything inside it; returns it for chaining. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
