/**
 * The Sage web UI's flow in a real browser. A small page of our own makes the
 * UI's calls (under its deployment prefix `/prod-api`, through a proxy that
 * strips it, with its headers and cookies) and reads streams the way the UI
 * does; headless Chromium drives it: login, a streamed reply stopped
 * mid-way, a reply to its end, reopening from history, a reply resumed after
 * a reload, logout. Every assertion is on what the page shows or collected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import type { TestGateway } from '../support/gateway.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { startSageGateway } from './client.js';
import { startWebUiServer, type WebUiServer } from './web-ui/server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever the server sent
type Line = Record<string, any>;

/** `window.ui.state` of the page (test/sage/web-ui/app.js). */
interface PageState {
  status: string;
  error: string;
  nativeLogin: boolean;
  user: Line | null;
  hasProvider: boolean | null;
  agent: Line | null;
  conversations: Line[];
  sessionId: string | null;
  messages: { key: string; role: string; type: string; content: string }[];
  lines: Line[];
  lastIndex: number;
  resumedFrom: number | null;
  lastEnd: Line | null;
  taskStatus: Line | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let model: OpenAIServer;
let gw: TestGateway;
let web: WebUiServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startSageGateway({ modelUrl: model.url });
  web = await startWebUiServer(gw.baseUrl);
  browser = await launchChromium();
  context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, 40_000);

afterAll(async () => {
  await browser?.close();
  await web?.close();
  await gw?.stop();
  await model?.close();
});

const state = () => page.evaluate('window.ui.state') as Promise<PageState>;
const untilStatus = (status: string, timeout = 10_000) =>
  page.waitForFunction(`window.ui && window.ui.state.status === ${JSON.stringify(status)}`, undefined, { timeout });
/** The messages as the DOM shows them: [role, text]. */
const shown = () =>
  page.evaluate(`[...document.querySelectorAll('#messages .message')].map((m) => [m.dataset.role, m.textContent])`) as Promise<[string, string][]>;
const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 'sage_session');
const historyButton = (sessionId: string) => page.locator(`#history button[data-session-id="${sessionId}"]`);

// Slow enough (a piece every 200-250 ms) that a stop or a reload lands mid-reply even on a busy machine.
const FIRST = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty';
const SECOND = 'Here is the whole second answer.';
const THIRD = 'Resumed replies arrive whole: every word once, in order, nothing doubled at the seam.';
let sessionId: string;
let partial: string;

describe('the Sage web UI in Chromium, behind a /prod-api proxy', () => {
  it('shows the login form for the native provider, logs in, reads the session and picks the default agent', async () => {
    await page.goto(web.url);
    await untilStatus('login');
    const before = await state();
    expect(before.nativeLogin).toBe(true);
    expect(await page.locator('#login-form').isVisible()).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);

    await page.fill('#username', 'alice');
    await page.fill('#password', 'alice-password');
    await page.click('#login');
    await untilStatus('ready');

    const s = await state();
    expect(s.error).toBe('');
    expect(s.user).toMatchObject({ userid: 'alice', username: 'alice', role: 'admin' });
    expect(s.hasProvider).toBe(true);
    expect(s.agent).toMatchObject({ id: 'demo-agent', is_default: true, agentMode: expect.any(String) });
    expect(await page.textContent('#user')).toBe('alice');
    expect(await page.getAttribute('#agent', 'data-agent-id')).toBe('demo-agent');
    expect(await page.locator('#login-form').isVisible()).toBe(false);

    // The cookie came back through the proxy and sits on the page's origin.
    expect(await sessionCookie()).toMatchObject({ httpOnly: true, path: '/', sameSite: 'Lax', domain: '127.0.0.1' });
    // Every call went under the prefix, stripped on the way, with the UI's headers.
    const paths = web.forwarded.map((c) => `${c.method} ${c.path.split('?')[0]}`);
    expect(paths).toEqual(expect.arrayContaining(['GET /api/system/info', 'POST /api/auth/login', 'GET /api/auth/session', 'GET /api/agent/list', 'GET /api/agent/demo-agent', 'GET /api/conversations']));
    expect(web.forwarded.every((c) => c.headers['accept-language'] === 'en-US,en;q=0.9')).toBe(true);
    const afterLogin = web.forwarded.slice(web.forwarded.findIndex((c) => c.path === '/api/auth/login') + 1);
    expect(afterLogin.length).toBeGreaterThan(0);
    for (const c of afterLogin) {
      expect(c.headers.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
      expect(c.headers.cookie).toContain('sage_session=');
    }
  });

  it('streams a reply in, and a stop mid-way ends the run with the partial answer kept', async () => {
    model.script([{ ...textReply(FIRST, { pieces: 20 }), delayMs: 200 }]);
    await page.fill('#input', 'count slowly');
    await page.click('#send');

    // Part of the answer is on screen while the stream is still going.
    await page.waitForFunction(
      `(() => { const s = window.ui.state; const a = s.messages.find((m) => m.role === 'assistant');
        return s.status === 'streaming' && !!a && a.content.split(' ').length >= 3; })()`,
    );
    const before = (await shown()).find(([role]) => role === 'assistant')![1];
    expect(FIRST.startsWith(before)).toBe(true);
    expect(before.length).toBeLessThan(FIRST.length);
    const streaming = await state();
    sessionId = streaming.sessionId!;
    expect(sessionId).toMatch(/^session_\d+$/);
    expect(streaming.lines.every((l) => l.session_id === sessionId)).toBe(true);

    await page.click('#stop');
    await untilStatus('stopped');
    const s = await state();
    expect(s.error).toBe('');
    expect(s.taskStatus).toMatchObject({ session_id: sessionId, status: 'cancelled', is_running: false });
    const kept = await shown();
    expect(kept.map(([role]) => role)).toEqual(['user', 'assistant']);
    expect(kept[0]![1]).toBe('count slowly');
    partial = kept[1]![1];
    expect(partial.startsWith(before)).toBe(true);
    expect(FIRST.startsWith(partial)).toBe(true);
    expect(partial.length).toBeLessThan(FIRST.length);
    // The page sent the UI's body; the model saw the text without its control tag, and its call was dropped.
    const sent = web.forwarded.find((c) => c.method === 'POST' && c.path === '/api/web-stream')!;
    expect(JSON.parse(sent.body)).toEqual({
      messages: [{ role: 'user', content: '<enable_deep_thinking>false</enable_deep_thinking> count slowly' }],
      session_id: sessionId,
      agent_mode: 'simple',
      more_suggest: false,
      max_loop_count: expect.any(Number),
      agent_id: 'demo-agent',
      system_context: { response_language: 'zh-CN' },
    });
    const stop = web.forwarded.find((c) => c.path === `/api/sessions/${sessionId}/interrupt`)!;
    expect(JSON.parse(stop.body)).toEqual({ message: 'stopped by the user' });
    expect(model.requests[0]!.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'count slowly' });
    expect(await model.requests[0]!.outcome).toBe('client-closed');

    // Several pieces' worth of time later, nothing grew.
    await sleep(1000);
    await page.click('#refresh-history');
    await historyButton(sessionId).click();
    await untilStatus('done');
    expect(await shown()).toEqual(kept);
    expect((await state()).lastEnd).toMatchObject({ type: 'stream_end', session_id: sessionId, resume_fallback: true });
  });

  it('a second message in the same conversation streams to its end', async () => {
    model.script([textReply(SECOND, { pieces: 4 })]);
    await page.fill('#input', 'and now the whole thing');
    await page.click('#send');
    await untilStatus('done');
    const s = await state();
    expect(s.error).toBe('');
    expect(s.sessionId).toBe(sessionId);
    expect(await shown()).toEqual([
      ['user', 'count slowly'],
      ['assistant', partial],
      ['user', 'and now the whole thing'],
      ['assistant', SECOND],
    ]);
    expect(s.lastEnd).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: s.lastIndex - 1 });
    expect(s.lastEnd!.resume_fallback).toBeUndefined();
  });

  it('after a reload the history lists the conversation and opening it shows the snapshot', async () => {
    await page.reload();
    await untilStatus('ready');
    expect(await shown()).toEqual([]);
    const s = await state();
    expect(s.conversations[0]).toMatchObject({ session_id: sessionId, agent_id: 'demo-agent', title: expect.any(String) });
    expect(await historyButton(sessionId).textContent()).toBe(s.conversations[0]!.title);

    await historyButton(sessionId).click();
    await untilStatus('done');
    expect(await shown()).toEqual([
      ['user', 'count slowly'],
      ['assistant', partial],
      ['user', 'and now the whole thing'],
      ['assistant', SECOND],
    ]);
    const opened = await state();
    expect(opened.resumedFrom).toEqual(expect.any(Number));
    expect(opened.lastEnd).toMatchObject({ type: 'stream_end', resume_fallback: true });
  });

  it('a reply still running when the page reloads resumes from next_stream_index, its text whole and not doubled', async () => {
    model.script([{ ...textReply(THIRD, { pieces: 20 }), delayMs: 250 }]);
    await page.fill('#input', 'a third question');
    await page.click('#send');
    await page.waitForFunction(
      `(() => { const s = window.ui.state; const a = s.messages.at(-1);
        return s.status === 'streaming' && a.role === 'assistant' && a.content.length > 0; })()`,
    );
    const beforeReload = (await shown()).at(-1)![1];
    expect(beforeReload.length).toBeLessThan(THIRD.length);

    await page.reload();
    await untilStatus('ready');
    await historyButton(sessionId).click();
    await untilStatus('done', 15_000);
    const s = await state();
    expect(s.error).toBe('');
    expect(await shown()).toEqual([
      ['user', 'count slowly'],
      ['assistant', partial],
      ['user', 'and now the whole thing'],
      ['assistant', SECOND],
      ['user', 'a third question'],
      ['assistant', THIRD],
    ]);
    // The run was still live when the page came back: a real end, not the finished-session fallback,
    // and the resumed index plus the lines read count every line of the run.
    expect(s.resumedFrom).toEqual(expect.any(Number));
    expect(s.lastEnd).toMatchObject({ type: 'stream_end', session_id: sessionId, total_stream_count: s.lastIndex - 1 });
    expect(s.lastEnd!.resume_fallback).toBeUndefined();
    const resumedText = s.lines.filter((l) => l.type === 'assistant_text').map((l) => l.content as string).join('');
    expect(THIRD.endsWith(resumedText)).toBe(true);
  });

  it('logs out: the cookie is gone, the next call is a 401 and the page is back at the login form', async () => {
    expect(await sessionCookie()).toBeDefined();
    await page.click('#logout');
    await untilStatus('login');
    expect(await page.textContent('#error')).toBe('Not logged in');
    expect(await page.locator('#login-form').isVisible()).toBe(true);
    expect(await page.locator('#app').isVisible()).toBe(false);
    expect(await sessionCookie()).toBeUndefined();
    expect(await page.evaluate(`localStorage.getItem('access_token')`)).toBeNull();

    // The call after logout carried neither token nor cookie.
    const last = web.forwarded.at(-1)!;
    expect(last.path.split('?')[0]).toBe('/api/conversations');
    expect(last.headers.authorization).toBeUndefined();
    expect(last.headers.cookie ?? '').not.toContain('sage_session=');

    await page.reload();
    await untilStatus('login');
    expect(pageErrors).toEqual([]);
  });
});
