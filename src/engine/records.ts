import type { ConcurrencyPolicy } from '../config/types.js';
import type { RunTotals, TaskState, Usage } from './events.js';

/**
 * Who is asking. Every engine operation takes one and sees only what it owns:
 * tenant isolation is decided here, once, not in the dialects.
 */
export interface Principal {
  tenant: string;
  userId: string;
  username: string;
  admin: boolean;
  /** The credential kind that proved it (for logs and audits, never for access decisions). */
  via: 'api_key' | 'token' | 'password' | 'jwt' | 'oauth' | 'system';
}

export interface Tenant {
  code: string;
  name: string;
  createdAt: number;
}

export interface User {
  tenant: string;
  id: string;
  username: string;
  email?: string;
  admin: boolean;
  /** scrypt hash (`scrypt$N$r$p$salt$hash`), absent for users who cannot log in with a password. */
  passwordHash?: string;
  /**
   * Hash of the password the config declares, kept so a boot can tell whether the
   * config changed it (then it applies) or not (then a password the user chose since stays).
   */
  configPasswordHash?: string;
  /** `config`: declared by the bootstrap config, which removes the user once it no longer declares it. */
  source?: RecordSource;
  createdAt: number;
}

/** Where an identity came from: a boot revokes only what the config declared and then dropped. */
export type RecordSource = 'config' | 'runtime';

/** A secret that proves an identity, stored under the SHA-256 of the secret itself. */
export interface Credential {
  kind: 'api_key' | 'token';
  tenant: string;
  /** The user a token belongs to; API keys belong to the tenant. */
  userId?: string;
  /** Absent on credentials stored before sources were tracked (those all came from the config). */
  source?: RecordSource;
  createdAt: number;
}

/** Who may use an agent besides its owner and the tenant's admins: the whole tenant, or the listed user ids. */
export type AgentVisibility = 'tenant' | string[];

export interface Agent {
  id: string;
  tenant: string;
  name: string;
  description: string;
  systemPrompt: string;
  model?: string;
  tools: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  workDir?: string;
  maxLoops: number;
  /** The user who manages it; config agents have none and only admins manage them. */
  owner?: string;
  /** Absent reads as `tenant`. */
  visibility?: AgentVisibility;
  /**
   * Settings of one API that the engine has no column for (Sage's agent
   * modes, skill lists...): stored with the agent, ignored by the others.
   */
  settings?: Record<string, unknown>;
  source?: RecordSource;
  createdAt: number;
  updatedAt: number;
}

export interface Conversation {
  /** The id its client knows it by: unique per owner (tenant + user), not across owners. */
  id: string;
  tenant: string;
  userId: string;
  agentId: string;
  title: string;
  messageCount: number;
  createdAt: number;
  updatedAt: number;
  /** Dialect-owned extra data (kept opaque by the engine). */
  meta: Record<string, unknown>;
}

export interface Message {
  id: string;
  conversationId: string;
  taskId?: string;
  role: 'user' | 'assistant' | 'tool';
  content: string | MessagePart[];
  reasoning?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  toolCallId?: string;
  /** What a client attached to the message (e.g. Sage's `guidance_id`, `hidden_from_chat`), shown back as it was given. */
  meta?: Record<string, unknown>;
  createdAt: number;
  /** Position inside the conversation, from 0. */
  seq: number;
}

/**
 * An uploaded file a task or a message points to: read when the prompt is
 * built, never copied into a record (a record stays small whatever the
 * image weighs, and the heartbeat and every read of it stay cheap).
 */
export interface FileRef {
  /** The workspace area and the path inside it (see `Workspace`). */
  area: string;
  path: string;
  mediaType: string;
}

export type MessagePart = { type: 'text'; text: string } | { type: 'image'; file: FileRef };

export interface TaskInput {
  text: string;
  images?: FileRef[];
  /** Structured inputs (bit-Agent abilities), already validated against the agent's schema. */
  values?: Record<string, unknown>;
  /**
   * Answer the conversation's last user message again instead of adding one:
   * when the run starts, whatever followed that message goes, and `text` is
   * that message's text (for listings and views).
   */
  rerun?: boolean;
}

/** What one run changes of its agent's setup (Sage's per-request overrides); the agent itself stays as it is. */
export interface RunOverrides {
  /** Replaces the agent's system prompt. */
  systemPrompt?: string;
  /** Structured context the model is given with the system prompt. */
  context?: Record<string, unknown>;
  /** The tools this run may call, instead of the agent's (built-in tool names). */
  tools?: string[];
  /** Sampling settings for this run's model calls (`temperature`, `top_p`, `max_tokens`, …), over the model's own `params`. */
  sampling?: Record<string, number>;
}

export interface Task {
  id: string;
  tenant: string;
  userId: string;
  agentId: string;
  /** The conversation's client id; with tenant and userId it names the conversation (./conversation-keys.ts). */
  conversationId: string;
  model: string;
  state: TaskState;
  input: TaskInput;
  reasoning: boolean;
  maxLoops: number;
  /** `remote` tasks wait for a client executor and are never run by this gateway. */
  executor: 'local' | 'remote';
  /** The policy it was created under in a busy conversation (absent on tasks older than the field: the configured one). */
  concurrency?: ConcurrencyPolicy;
  overrides?: RunOverrides;
  outputs?: unknown;
  error?: string;
  usage?: Usage;
  /** Model turns and tool calls of a run that reached its answer (saved when it ends). */
  totals?: RunTotals;
  cancelRequested: boolean;
  /** Extra exclusive slots the task holds while it waits or runs (e.g. one task per user). */
  slots: string[];
  epoch: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  meta: Record<string, unknown>;
}

export interface FileEntry {
  path: string;
  name: string;
  size: number;
  isDir: boolean;
  modifiedAt: number;
}
