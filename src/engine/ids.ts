import { randomBytes, randomUUID } from 'node:crypto';

/** A random id with a readable prefix: `task_3f9c…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

export const uuid = (): string => randomUUID();

/** Identifies this gateway process in leases; unique per start. */
export const INSTANCE_ID = `gw_${randomBytes(6).toString('hex')}`;
