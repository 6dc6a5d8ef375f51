import { randomBytes } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type { Config } from '../config/types.js';
import type { Store } from '../store/store.js';
import type { ConversationDependent, Conversations } from './conversations.js';
import { EngineError, notFound } from './errors.js';
import { scopedKey } from './keys.js';
import type { Principal } from './records.js';
import { sha256 } from './secrets.js';
import { allMembers } from './users.js';
import type { Workspace } from './workspace.js';
import { NAME_MAX, fitName } from './workspace-paths.js';

/** The workspace area of files attached to conversations: `<area>/<conversation folder>/<capability>_<name>`. */
export const MEDIA_AREA = 'local-uploads';

/** Links by the SHA-256 of their capability: the capability itself is a secret and never stored. */
const LINK = 'media-link';
/** A conversation's links (by expiry), so that its deletion finds them all. */
const linksOf = (owner: Owner, conversationId: string) => `media-links:${scopedKey(owner.tenant, owner.userId, conversationId)}`;
/** Score of a link that never expires (no file retention). */
const NEVER = Number.MAX_SAFE_INTEGER;
/** 128 random bits as lower-case hex: the part of a file name that makes its URL unguessable. */
const CAPABILITY = /^([0-9a-f]{32})_/;

type Owner = Pick<Principal, 'tenant' | 'userId'>;

/** What a link's capability unlocks: one file of one conversation of one user. */
interface MediaLink {
  tenant: string;
  userId: string;
  conversationId: string;
  /** The file's path inside the owner's area (`<folder>/<filename>`). */
  path: string;
  /** The stored name (`<capability>_<name>`): the only name the link answers to. */
  filename: string;
  /** The uploader's name, cleaned: what a download is called (without the capability). */
  name: string;
  contentType?: string;
  createdAt: number;
}

export interface MediaUpload {
  originalName: string;
  content: Readable;
  contentType?: string;
}

export interface OpenedMedia {
  stream: ReadStream;
  size: number;
  /** The uploader's file name, cleaned. */
  name: string;
  /** The type the uploader declared (not trusted: callers decide what they serve as what). */
  contentType?: string;
}

export interface ResolvedMedia {
  /** The file's real path on the server. */
  full: string;
  /** Its path inside the owner's `MEDIA_AREA` (what a `FileRef` names). */
  path: string;
  size: number;
}

/**
 * Files attached to conversations, and links to them that work without a
 * credential (a browser's `<img src>`): the file name carries a random
 * capability, looked up by its hash, which names exactly one file of one
 * conversation. Links expire with `engine.file_retention_seconds` (as the
 * workspace removes the bytes then), and a conversation's deletion (through
 * any API, its retention, its owner's removal) takes its folder and links.
 */
export class MediaLinks implements ConversationDependent {
  private readonly retentionSeconds: number;

  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly conversations: Conversations,
    private readonly workspace: Workspace,
  ) {
    this.retentionSeconds = config.engine.file_retention_seconds;
    conversations.onDelete(this);
  }

  /** Stores a file in the conversation's folder (the caller's own conversation, else 404) and links it. */
  async upload(principal: Principal, conversationId: string, input: MediaUpload): Promise<ResolvedMedia & { filename: string }> {
    await this.conversations.get(principal, conversationId).catch((err: unknown) => {
      input.content.destroy();
      throw err;
    });
    const capability = randomBytes(16).toString('hex');
    const name = cleanName(input.originalName);
    const filename = `${capability}_${name}`;
    const dir = conversationFolder(conversationId);
    const stored = await this.workspace.save(principal, { dir, filename, content: input.content, contentType: input.contentType }, MEDIA_AREA);
    const now = Date.now();
    const link: MediaLink = { tenant: principal.tenant, userId: principal.userId, conversationId, path: stored.path, filename, name, contentType: input.contentType, createdAt: now };
    const key = sha256(capability);
    const list = linksOf(principal, conversationId);
    await this.store.put(LINK, key, link, this.retentionSeconds > 0 ? { ttlSeconds: this.retentionSeconds } : {});
    await this.store.indexAdd(list, key, this.retentionSeconds > 0 ? now + this.retentionSeconds * 1000 : NEVER);
    // Links that expired since are only listed: dropping them here keeps the listing as small as what is live.
    for (const expired of await this.store.indexUpTo(list, now, 100)) await this.store.indexRemove(list, expired);
    // Deleted meanwhile: its removal may have run before this file was there, so it is removed now.
    if (!(await this.exists(principal, conversationId))) {
      await this.removeConversation(principal, conversationId);
      throw notFound('conversation', conversationId);
    }
    const root = await this.workspace.root(principal, MEDIA_AREA);
    return { full: join(root, stored.path), path: stored.path, size: stored.size, filename };
  }

  /**
   * The file a link names, for anyone holding it: the capability must be
   * known, and the conversation id and the whole file name must be the ones
   * it was made for; a file gone (or its conversation) is "file not found" too.
   */
  async open(conversationId: string, filename: string): Promise<OpenedMedia> {
    const gone = () => notFound('file', filename);
    const capability = CAPABILITY.exec(filename)?.[1];
    if (!capability) throw gone();
    const link = (await this.store.get<MediaLink>(LINK, sha256(capability)))?.value;
    if (!link || link.conversationId !== conversationId || link.filename !== filename) throw gone();
    const owner = systemPrincipal(link);
    // Expired but not yet swept: gone for every reader already.
    if (!(await this.exists(owner, conversationId))) throw gone();
    const file = await this.workspace.open(owner, link.path, MEDIA_AREA).catch((err: unknown) => {
      if (err instanceof EngineError && (err.code === 'not_found' || err.code === 'invalid_argument')) throw gone();
      throw err;
    });
    return { stream: file.stream, size: file.size, name: link.name, contentType: link.contentType };
  }

  /**
   * An absolute path a client names, when its real path (links followed) is
   * a file inside this conversation's folder of the caller's; `undefined`
   * for anything else (missing, a folder, elsewhere, a link out). The
   * conversation must be the caller's (else 404).
   */
  async resolve(principal: Principal, conversationId: string, path: string): Promise<ResolvedMedia | undefined> {
    await this.conversations.get(principal, conversationId);
    if (!isAbsolute(path) || path.includes('\0')) return undefined;
    const root = await this.workspace.root(principal, MEDIA_AREA);
    const folder = await realpath(join(root, conversationFolder(conversationId))).catch(() => undefined);
    const real = await realpath(path).catch(() => undefined);
    if (!folder || !real) return undefined;
    const rel = relative(folder, real);
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
    const info = await stat(real).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    return { full: real, path: relative(root, real).split(sep).join('/'), size: info.size };
  }

  /** A deleted conversation's links and folder (with every file in it). */
  async removeConversation(owner: Principal, conversationId: string): Promise<void> {
    const list = linksOf(owner, conversationId);
    for (const key of await allMembers(this.store, list)) {
      await this.store.delete(LINK, key);
      await this.store.indexRemove(list, key);
    }
    // Not through `workspace.root`: that would make the area again for an owner being removed.
    await this.workspace.removeFolder(owner, conversationFolder(conversationId), MEDIA_AREA);
  }

  private async exists(owner: Principal, conversationId: string): Promise<boolean> {
    try {
      await this.conversations.get(owner, conversationId);
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'not_found') return false;
      throw err;
    }
  }
}

/**
 * The folder of a conversation's files: its id when that is a plain short
 * name, else `h.` and the id's SHA-256 (ids are free text up to 256
 * characters; `.` never occurs in a plain one, so the two forms never meet).
 */
export function conversationFolder(conversationId: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(conversationId) ? conversationId : `h.${sha256(conversationId)}`;
}

/**
 * The uploader's base name with only letters, digits, marks, spaces and
 * `._()-` left (anything else `_`): the name ends up in a URL path that the
 * web client builds without encoding, where `%`, `#` or `?` would break it.
 * Cut to fit a file name with the capability in front.
 */
export function cleanName(original: string): string {
  const base = original.replace(/\\/g, '/').split('/').pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}\p{M} ._()-]/gu, '_')
    .replace(/ {2,}/g, ' ')
    .trim();
  return fitName(/^[. ]*$/.test(cleaned) ? 'upload' : cleaned, NAME_MAX - 33);
}

/** The owner of a link as the workspace and conversations see it: they scope by tenant and user alone. */
function systemPrincipal(owner: Owner): Principal {
  return { tenant: owner.tenant, userId: owner.userId, username: owner.userId, admin: false, via: 'system' };
}
