/* global window, document, fetch, localStorage, AbortController, TextDecoder, URLSearchParams, setTimeout */
// The Sage web UI's client side in miniature: the calls it makes under its
// deployment prefix, its headers and cookies, and its way of reading and
// merging NDJSON streams. Everything it knows sits in `window.ui.state` and
// in the DOM, where the browser test reads it.

const API = '/prod-api/api';
// English, so the page's error texts also show that the header got through.
const LANGUAGE = 'en-US,en;q=0.9';
const HIDDEN_FLAGS = ['hidden_from_chat', 'hide_from_chat'];
// Lines that carry no message to show (the end marker, usage, chunk framing).
const NOT_SHOWN = new Set(['stream_end', 'token_usage', 'trace_info', 'chunk_start', 'json_chunk', 'chunk_end']);

const state = {
  status: 'loading',
  error: '',
  nativeLogin: false,
  allowRegistration: null,
  user: null,
  hasProvider: null,
  agent: null,
  conversations: [],
  sessionId: null,
  /** Shown messages in order: {key, role, type, content, reasoning, toolCalls}. */
  messages: [],
  /** Every JSON line the current session's streams brought, in order. */
  lines: [],
  /** JSON lines of the current run received so far: what a resume sends as `last_index`. */
  lastIndex: 0,
  /** The `next_stream_index` the last opened conversation resumed from. */
  resumedFrom: null,
  /** The `stream_end` line that closed the last stream. */
  lastEnd: null,
  taskStatus: null,
};
const byKey = new Map();
let controller = null;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function headersFor(hasBody) {
  const headers = { Accept: 'application/json, text/plain, */*', 'Accept-Language': LANGUAGE };
  if (hasBody) headers['Content-Type'] = 'application/json;charset=UTF-8';
  const token = localStorage.getItem('access_token');
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** A call whose non-2xx status becomes an error with the body's `detail`, else `message`; a 401 logs out. */
async function request(method, path, body, signal) {
  const response = await fetch(API + path, {
    method,
    headers: headersFor(body !== undefined),
    credentials: 'include',
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!response.ok) {
    let text = `HTTP ${response.status}`;
    try {
      const type = response.headers.get('content-type') || '';
      const data = type.includes('application/json') ? await response.json() : { detail: await response.text() };
      text = data.detail || data.message || text;
    } catch {
      // An unreadable body: the status says enough.
    }
    if (response.status === 401) loggedOut(text);
    throw new ApiError(response.status, text);
  }
  return response;
}

/** A JSON call: success is `code` equal to the number 200. */
async function call(method, path, body) {
  const json = await (await request(method, path, body)).json();
  if (json.code !== 200) throw new ApiError(200, json.message || 'request failed');
  return json.data;
}

function loggedOut(message) {
  localStorage.removeItem('access_token');
  state.user = null;
  state.status = 'login';
  state.error = message;
}

async function init() {
  const info = await call('GET', '/system/info');
  const providers = Array.isArray(info.auth_providers) ? info.auth_providers : [];
  state.nativeLogin = providers.some((p) => p.id === 'native' || p.type === 'native');
  state.allowRegistration = info.allow_registration;
  await loadSession();
}

async function loadSession() {
  const session = await call('GET', '/auth/session');
  state.user = session.user;
  state.hasProvider = session.has_provider;
  const agents = await call('GET', '/agent/list');
  const picked = agents.find((a) => a.is_default) || agents[0] || null;
  state.agent = picked ? { ...picked, ...(await call('GET', `/agent/${encodeURIComponent(picked.id)}`)) } : null;
  await refreshHistory();
  state.status = 'ready';
}

async function login(usernameOrEmail, password) {
  const data = await call('POST', '/auth/login', { username_or_email: usernameOrEmail, password });
  localStorage.setItem('access_token', data.access_token);
  state.error = '';
  await loadSession();
}

async function logout() {
  try {
    await call('POST', '/auth/logout', {});
  } finally {
    localStorage.removeItem('access_token');
    state.user = null;
  }
  // The next call tells whether the server still knows this browser: with the
  // token dropped and the cookie cleared it must be a 401, which logs out.
  await refreshHistory();
}

async function refreshHistory() {
  const data = await call('GET', `/conversations?${new URLSearchParams({ page: '1', page_size: '20' })}`);
  state.conversations = data.list;
}

function resetView(sessionId) {
  state.sessionId = sessionId;
  state.messages = [];
  byKey.clear();
  state.lines = [];
  state.lastIndex = 0;
  state.resumedFrom = null;
  state.lastEnd = null;
  state.taskStatus = null;
}

const isHidden = (m) => {
  const meta = m.metadata || {};
  return HIDDEN_FLAGS.some((flag) => meta[flag]) || meta.sse_visible === false;
};

function upsert(key, role, type) {
  let message = byKey.get(key);
  if (!message) {
    message = { key, role, type, content: '', reasoning: '', toolCalls: [] };
    byKey.set(key, message);
    state.messages.push(message);
  }
  return message;
}

function showSnapshot(list) {
  for (const item of list) {
    if (isHidden(item)) continue;
    const message = upsert(`${item.session_id || state.sessionId}::${item.message_id}`, item.role, item.type);
    message.content = typeof item.content === 'string' ? item.content : JSON.stringify(item.content ?? '');
    if (typeof item.reasoning_content === 'string') message.reasoning = item.reasoning_content;
  }
}

/** Merges one stream line by `session_id::message_id`: text fields are deltas, tool calls a snapshot. */
function onLine(line) {
  if (line.session_id !== state.sessionId) return;
  if (line.type === 'stream_end') {
    state.lastEnd = line;
    return;
  }
  if (NOT_SHOWN.has(line.type) || !line.message_id || isHidden(line)) return;
  const message = upsert(`${line.session_id}::${line.message_id}`, line.role, line.type);
  message.type = line.type;
  if (line.type === 'tool_call_result') {
    message.content = typeof line.content === 'string' ? line.content : JSON.stringify(line.content ?? '');
    return;
  }
  if (typeof line.content === 'string') message.content += line.content;
  if (typeof line.reasoning_content === 'string') message.reasoning += line.reasoning_content;
  if (Array.isArray(line.tool_calls)) {
    for (const call of line.tool_calls) {
      const at = message.toolCalls.findIndex((c) => c.index === call.index);
      if (at >= 0) message.toolCalls[at] = { ...message.toolCalls[at], ...call };
      else message.toolCalls.push(call);
    }
  }
}

/** Reads NDJSON: split on '\n', parse each non-blank line, skip what does not parse (heartbeats). */
async function readStream(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    const parts = buffer.split('\n');
    buffer = parts.pop() || '';
    for (const part of parts) {
      if (!part.trim()) continue;
      let line;
      try {
        line = JSON.parse(part);
      } catch {
        continue;
      }
      state.lastIndex += 1;
      state.lines.push(line);
      onLine(line);
    }
    render();
  }
}

const isAbort = (error) => error && error.name === 'AbortError';

async function sendMessage(text) {
  if (!text.trim() || !state.agent) return;
  if (!state.sessionId) resetView(`session_${Date.now()}`);
  const sessionId = state.sessionId;
  upsert(`${sessionId}::local_${Date.now()}`, 'user', 'user_input').content = text;
  const agent = state.agent;
  const body = {
    messages: [{ role: 'user', content: `<enable_deep_thinking>${agent.deepThinking ? 'true' : 'false'}</enable_deep_thinking> ${text}` }],
    session_id: sessionId,
    agent_mode: agent.agentMode || 'simple',
    more_suggest: Boolean(agent.moreSuggest),
    max_loop_count: agent.maxLoopCount || 10,
    agent_id: agent.id,
    system_context: { response_language: 'zh-CN' },
  };
  // Indexes count the lines of the current run.
  state.lastIndex = 0;
  state.lastEnd = null;
  state.status = 'streaming';
  render();
  if (!(await follow((signal) => request('POST', '/web-stream', body, signal)))) return;
  state.status = 'done';
  await refreshHistory();
}

/** Reads one stream into the view under its own controller; false when it was aborted (a stop, a reload). */
async function follow(open) {
  const mine = (controller = new AbortController());
  try {
    await readStream(await open(mine.signal));
    return true;
  } catch (error) {
    if (isAbort(error)) return false;
    throw error;
  } finally {
    if (controller === mine) controller = null;
  }
}

/** Stop as the UI does it: drop the stream, then ask the server to interrupt; show what it kept. */
async function stop() {
  const sessionId = state.sessionId;
  state.status = 'stopping';
  if (controller) {
    controller.abort();
    controller = null;
  }
  await call('POST', `/sessions/${encodeURIComponent(sessionId)}/interrupt`, { message: 'stopped by the user' });
  for (let tries = 0; tries < 100; tries++) {
    state.taskStatus = await call('POST', `/sessions/${encodeURIComponent(sessionId)}/tasks_status`);
    if (!state.taskStatus.is_running) break;
    await sleep(50);
  }
  await showConversation(sessionId);
  state.status = 'stopped';
}

/** The conversation's messages snapshot, shown anew; answers its `next_stream_index`. */
async function showConversation(sessionId) {
  const data = await call('GET', `/conversations/${encodeURIComponent(sessionId)}/messages`);
  const taskStatus = state.taskStatus;
  resetView(sessionId);
  state.taskStatus = taskStatus;
  showSnapshot(data.messages);
  render();
  return Number(data.next_stream_index) || 0;
}

/** Opening from history: the snapshot, then the stream resumed where the snapshot ends. */
async function openConversation(sessionId) {
  if (controller) controller.abort();
  state.status = 'resuming';
  const from = await showConversation(sessionId);
  state.resumedFrom = from;
  state.lastIndex = from;
  const query = new URLSearchParams({ last_index: String(from) });
  if (!(await follow((signal) => request('GET', `/stream/resume/${encodeURIComponent(sessionId)}?${query}`, undefined, signal)))) return;
  state.status = 'done';
}

/** Runs a user action; a 401 has already logged out, any other error is shown. */
async function run(action) {
  state.error = '';
  try {
    await action();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) state.error = error.message;
  } finally {
    render();
  }
}

const $ = (id) => document.getElementById(id);

function render() {
  $('status').textContent = state.status;
  $('error').textContent = state.error;
  $('login-form').hidden = !(state.status === 'login' && state.nativeLogin);
  $('app').hidden = !state.user;
  $('user').textContent = state.user ? state.user.nickname || state.user.username : '';
  $('agent').textContent = state.agent ? state.agent.name : '';
  $('agent').dataset.agentId = state.agent ? state.agent.id : '';
  $('history').replaceChildren(
    ...state.conversations.map((c) => {
      const item = document.createElement('li');
      const open = document.createElement('button');
      open.type = 'button';
      open.dataset.sessionId = c.session_id;
      open.textContent = c.title;
      open.addEventListener('click', () => run(() => openConversation(c.session_id)));
      item.append(open);
      return item;
    }),
  );
  $('messages').replaceChildren(
    ...state.messages.map((m) => {
      const shown = document.createElement('div');
      shown.className = 'message';
      shown.dataset.role = m.role;
      shown.dataset.type = m.type;
      shown.textContent = m.content;
      return shown;
    }),
  );
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void run(() => login($('username').value, $('password').value));
});
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('input').value;
  $('input').value = '';
  void run(() => sendMessage(text));
});
$('stop').addEventListener('click', () => void run(stop));
$('new-chat').addEventListener('click', () => {
  resetView(null);
  state.status = 'ready';
  render();
});
$('refresh-history').addEventListener('click', () => void run(refreshHistory));
$('logout').addEventListener('click', () => void run(logout));

window.ui = { state };
void run(init);
