import { randomInt } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { Directory } from './directory.js';
import { forbidden, invalid } from './errors.js';
import { scopedKey } from './keys.js';
import type { Principal } from './records.js';
import { safeEqual, sha256 } from './secrets.js';

/** Record collections this module owns. */
const C = { user: 'user_settings', tenant: 'tenant_settings', code: 'email_code' } as const;
/** Settings are small client documents (UI preferences), not storage. */
const MAX_BYTES = 64 * 1024;

/**
 * Named JSON documents an API keeps for a user (a UI's preferences) or for a
 * tenant (system settings an admin changes at run time). Each is written
 * whole; a user's are removed with the user.
 */
export class UserSettings {
  constructor(
    private readonly store: Store,
    directory: Directory,
  ) {
    directory.onUserRemoved(async (tenant, userId) => {
      for (const name of KNOWN_NAMES) await this.store.delete(C.user, scopedKey(tenant, userId, name));
    });
  }

  /** The caller's own document `name`, `undefined` when never written. */
  async get<T>(owner: Principal, name: string): Promise<T | undefined> {
    return (await this.store.get<T>(C.user, scopedKey(owner.tenant, owner.userId, userDoc(name))))?.value;
  }

  async put<T>(owner: Principal, name: string, value: T): Promise<void> {
    checkSize(value);
    await this.store.put(C.user, scopedKey(owner.tenant, owner.userId, userDoc(name)), value);
  }

  async getTenant<T>(tenant: string, name: string): Promise<T | undefined> {
    return (await this.store.get<T>(C.tenant, scopedKey(tenant, checkName(name))))?.value;
  }

  /** Tenant settings change what every user gets: admins only. */
  async putTenant<T>(actor: Principal, name: string, value: T): Promise<void> {
    if (!actor.admin) throw forbidden('administrator rights required');
    checkSize(value);
    await this.store.put(C.tenant, scopedKey(actor.tenant, checkName(name)), value);
  }
}

/** A user's documents are named here, so a removed user's can be found without a listing. */
const KNOWN_NAMES = ['sage-config'] as const;

function userDoc(name: string): string {
  if (!(KNOWN_NAMES as readonly string[]).includes(name)) throw new Error(`unknown user settings document ${name}: add it to KNOWN_NAMES`);
  return name;
}

function checkName(name: string): string {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(name)) throw invalid('invalid settings name');
  return name;
}

function checkSize(value: unknown): void {
  if (Buffer.byteLength(JSON.stringify(value) ?? '') > MAX_BYTES) throw invalid(`settings must be at most ${MAX_BYTES} bytes of JSON`);
}

interface CodeRecord {
  /** SHA-256 of the address and the code; the code itself is never stored. */
  hash: string;
  expiresAt: number;
  wrongGuesses: number;
}

/** Wrong guesses a code survives: a six-digit code must not be guessable within its life. */
const MAX_WRONG_GUESSES = 5;

/**
 * One-time codes that prove an email address (registration): six digits,
 * stored hashed with an expiry, one live code per address (a new one
 * replaces it), gone after use or after too many wrong guesses.
 */
export class EmailCodes {
  constructor(private readonly store: Store) {}

  /** A new code for the address (shown once, to be mailed). */
  async issue(tenant: string, email: string, ttlSeconds: number, now = Date.now()): Promise<string> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const record: CodeRecord = { hash: codeHash(email, code), expiresAt: now + ttlSeconds * 1000, wrongGuesses: 0 };
    await this.store.put(C.code, codeKey(tenant, email), record, { ttlSeconds });
    return code;
  }

  /** Whether `code` is the address's live code; a right one is used up. */
  async consume(tenant: string, email: string, code: string, now = Date.now()): Promise<boolean> {
    const key = codeKey(tenant, email);
    const stored = await this.store.get<CodeRecord>(C.code, key);
    if (!stored || now >= stored.value.expiresAt) return false;
    if (safeEqual(codeHash(email, code), stored.value.hash)) {
      // Compare-and-delete would be ideal; a version-checked write keeps two racing uses from both winning.
      const won = await this.store.put(C.code, key, { ...stored.value, expiresAt: 0 }, { ifVersion: stored.version, ttlSeconds: 1 });
      if (won) await this.store.delete(C.code, key);
      return won;
    }
    const wrongGuesses = stored.value.wrongGuesses + 1;
    if (wrongGuesses >= MAX_WRONG_GUESSES) await this.store.delete(C.code, key);
    else await this.store.put(C.code, key, { ...stored.value, wrongGuesses }, { ifVersion: stored.version, ttlSeconds: Math.max(1, Math.ceil((stored.value.expiresAt - now) / 1000)) });
    return false;
  }
}

const codeKey = (tenant: string, email: string) => scopedKey(tenant, email.trim().toLowerCase());
const codeHash = (email: string, code: string) => sha256(`${email.trim().toLowerCase()}\n${code}`);
