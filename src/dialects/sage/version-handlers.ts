import type Koa from 'koa';
import { asUser } from '../../http/as-user.js';
import type { Handler } from '../../http/dialect.js';
import { pathParam, queryParam } from '../../http/request-params.js';
import { optionalText, requiredText, sageBody } from './auth-body.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';
import { compareVersions, listVersions, parseVersion, saveVersions, type VersionRecord } from './version-store.js';

const NOT_FOUND = { 'zh-CN': '版本不存在', en: 'Version not found' };

/**
 * Desktop releases: admins record them; `check` answers the Tauri updater
 * (204 when there is nothing newer for the caller's platform), `latest` the
 * web download page.
 */
export function versionHandlers(c: SageContext): Record<string, Handler> {
  const { directory } = c.engine;
  return {
    versionCreate: asUser(async (ctx, principal) => {
      directory.assertAdmin(principal);
      const record = recordOf(sageBody(ctx));
      const versions = await listVersions(c);
      if (versions.some((v) => compareVersions(v.version, record.version) === 0)) {
        throw sageError('conflict', { 'zh-CN': `版本 ${record.version} 已存在`, en: `Version ${record.version} already exists` });
      }
      await saveVersions(c, principal, [...versions, record]);
      return record;
    }),
    versionList: asUser(async () => listVersions(c)),
    versionLatest: async () => (await listVersions(c))[0] ?? null,
    versionDelete: asUser(async (ctx, principal) => {
      directory.assertAdmin(principal);
      const wanted = pathParam(ctx, 'version_str').trim().replace(/^v/, '');
      const versions = await listVersions(c);
      const kept = versions.filter((v) => v.version !== wanted);
      if (kept.length === versions.length) throw sageError('not_found', NOT_FOUND);
      await saveVersions(c, principal, kept);
      return { success: true };
    }),
    versionImportGithub: asUser(async (_ctx, principal) => {
      directory.assertAdmin(principal);
      throw sageError('unavailable', { 'zh-CN': '服务器无法访问 GitHub，请手动创建版本', en: 'The server cannot reach GitHub; create the version manually' });
    }),
    versionCheck: async (ctx) => check(ctx, await listVersions(c)),
  };
}

/**
 * The Tauri updater's answer, not the envelope. With `target` and `arch`
 * (and `current_version`): the newest release for that platform as
 * `{version, notes, pub_date, url, signature}`, or 204 when it is not newer.
 * Without them: the static form `{version, notes, pub_date, platforms}`.
 */
function check(ctx: Koa.Context, versions: VersionRecord[]): undefined {
  const target = queryParam(ctx, 'target');
  const arch = queryParam(ctx, 'arch');
  const current = queryParam(ctx, 'current_version');
  const latest = versions[0];
  if (!target || !arch) {
    if (!latest) ctx.status = 204;
    else ctx.body = { version: latest.version, notes: latest.notes, pub_date: latest.pub_date, platforms: latest.platforms };
    return undefined;
  }
  const platform = `${target}-${arch}`;
  const release = versions.find((v) => v.platforms[platform]);
  if (!release || (current && parseVersion(current) && compareVersions(release.version, current) <= 0)) {
    ctx.status = 204;
    return undefined;
  }
  const { url, signature } = release.platforms[platform]!;
  ctx.body = { version: release.version, notes: release.notes, pub_date: release.pub_date, url, signature };
  return undefined;
}

function recordOf(body: Record<string, unknown>): VersionRecord {
  const version = requiredText(body, 'version').trim().replace(/^v/, '');
  if (!parseVersion(version)) throw sageError('invalid_argument', { 'zh-CN': '版本号必须是语义化版本（如 1.2.3）', en: 'version must be a semantic version (1.2.3)' }, { field: 'version' });
  const notes = optionalText(body, 'notes') ?? optionalText(body, 'release_notes') ?? '';
  const pubDate = optionalText(body, 'pub_date') ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(pubDate))) throw sageError('invalid_argument', { 'zh-CN': 'pub_date 不是有效时间', en: 'pub_date must be an RFC 3339 date' }, { field: 'pub_date' });
  const raw = body.platforms ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw platformsError();
  const platforms: VersionRecord['platforms'] = {};
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    const e = entry as Record<string, unknown> | null;
    if (!/^[a-z0-9_]+-[a-z0-9_]+$/.test(name) || typeof e !== 'object' || e === null || typeof e.url !== 'string' || !/^https?:\/\//.test(e.url) || typeof e.signature !== 'string') {
      throw platformsError();
    }
    platforms[name] = { url: e.url, signature: e.signature };
  }
  return { version, notes, pub_date: new Date(pubDate).toISOString(), platforms, created_at: new Date().toISOString() };
}

const platformsError = () =>
  sageError('invalid_argument', {
    'zh-CN': 'platforms 必须形如 {"darwin-aarch64": {"url": "https://…", "signature": "…"}}',
    en: 'platforms must look like {"darwin-aarch64": {"url": "https://…", "signature": "…"}}',
  }, { field: 'platforms' });
