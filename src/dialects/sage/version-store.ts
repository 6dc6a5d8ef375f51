import type { Principal } from '../../engine/records.js';
import { sageTenant } from './auth-tokens.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

/** One desktop release: what the Tauri updater downloads per platform (`darwin-aarch64`, `windows-x86_64`, ...). */
export interface VersionRecord {
  version: string;
  notes: string;
  pub_date: string;
  platforms: Record<string, { url: string; signature: string }>;
  created_at: string;
}

const VERSIONS = 'sage-versions';
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): [number, number, number, string] | undefined {
  const m = SEMVER.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ?? ''] : undefined;
}

/** Semver order; a pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.localeCompare(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  if (x[3] === y[3]) return 0;
  if (!x[3]) return 1;
  if (!y[3]) return -1;
  return x[3].localeCompare(y[3]);
}

/** The releases, newest first, kept as one tenant settings document (a handful of records). */
export async function listVersions(c: SageContext): Promise<VersionRecord[]> {
  const saved = (await c.engine.settings.getTenant<VersionRecord[]>(sageTenant(c), VERSIONS)) ?? [];
  return [...saved].sort((a, b) => compareVersions(b.version, a.version));
}

export async function saveVersions(c: SageContext, actor: Principal, versions: VersionRecord[]): Promise<void> {
  if (actor.tenant !== sageTenant(c)) throw sageError('forbidden', { 'zh-CN': '权限不足', en: 'Permission denied' });
  await c.engine.settings.putTenant(actor, VERSIONS, versions);
}
