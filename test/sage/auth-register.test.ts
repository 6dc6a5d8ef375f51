/**
 * Sage registration as a new user does it: a code by mail (the development
 * outbox file here), then the account with it, then a login. Codes are
 * single-use, expire, and are rate-limited per address and per email.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { asDemoUser, SageClient, startSageGateway } from './client.js';

let gw: TestGateway;
beforeAll(async () => {
  // Each test speaks from an address of its own (X-Forwarded-For from the trusted local proxy).
  gw = await startSageGateway({ configure: (raw) => void (raw.server.trust_proxy = ['127.0.0.1']) });
});
afterAll(async () => {
  await gw?.stop();
});

let nextAddress = 1;
const fromNewAddress = () => ({ 'x-forwarded-for': `198.51.100.${nextAddress++}` });

/** The last code the outbox holds for an address. */
async function codeFor(email: string): Promise<string> {
  const log = await readFile(join(gw.config.store.data_dir, 'outbox', 'mail.log'), 'utf8');
  const mails = log.trim().split('\n').map((line) => JSON.parse(line) as { to: string; text: string });
  const text = mails.filter((m) => m.to === email).at(-1)?.text ?? '';
  return /\b(\d{6})\b/.exec(text)?.[1] ?? '';
}

describe('registration', () => {
  it('curl example 1, then register with the code from the outbox, then log in by email', async () => {
    const headers = fromNewAddress();
    const anon = new SageClient(gw.baseUrl);
    const sent = await anon.post('/api/auth/register/send-code', { email: 'new.user@example.com' }, { headers });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body).toEqual({ code: 200, message: 'success', data: { expires_in: 600, retry_after: 60 }, timestamp: expect.any(Number) });
    const code = await codeFor('new.user@example.com');
    expect(code).toMatch(/^\d{6}$/);

    const reg = await anon.post('/api/auth/register', { username: 'newuser', password: 'StrongPassword123', email: 'new.user@example.com', verification_code: code }, { headers });
    expect(reg.status, reg.text).toBe(200);
    expect(reg.body.data).toEqual({ user_id: expect.any(String) });

    const login = await anon.post('/api/auth/login', { username_or_email: 'new.user@example.com', password: 'StrongPassword123' }, { headers });
    expect(login.status, login.text).toBe(200);
    expect((await anon.get('/api/auth/session')).body.data.user).toMatchObject({ userid: reg.body.data.user_id, username: 'newuser', role: 'user' });

    // The code was used up; the email is taken now.
    const reuse = await anon.post('/api/user/register', { username: 'newuser2', password: 'StrongPassword123', email: 'new.user@example.com', verification_code: code }, { headers: fromNewAddress() });
    expect(reuse.status).toBe(400);
    expect(reuse.body.message).toBe('验证码错误或已过期');
  });

  it('a wrong or missing code is refused, and nothing is created', async () => {
    const headers = { ...fromNewAddress(), 'X-Sage-Locale': 'en' };
    const anon = new SageClient(gw.baseUrl);
    expect((await anon.post('/api/user/register/send-code', { email: 'wrong@example.com' }, { headers })).status).toBe(200);
    const code = await codeFor('wrong@example.com');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const bad = await anon.post('/api/auth/register', { username: 'wronguser', password: 'StrongPassword123', email: 'wrong@example.com', verification_code: wrong }, { headers });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 400, message: 'The verification code is wrong or expired' });
    const none = await anon.post('/api/auth/register', { username: 'wronguser', password: 'StrongPassword123', email: 'wrong@example.com' }, { headers });
    expect(none.status).toBe(400);
    expect((await anon.post('/api/auth/login', { username_or_email: 'wronguser', password: 'StrongPassword123' }, { headers })).status).toBe(401);
  });

  it('one code a minute per email, whatever the address; a bad email is a 400', async () => {
    const anon = new SageClient(gw.baseUrl);
    expect((await anon.post('/api/auth/register/send-code', { email: 'twice@example.com' }, { headers: fromNewAddress() })).status).toBe(200);
    const again = await anon.post('/api/auth/register/send-code', { email: 'twice@example.com' }, { headers: { ...fromNewAddress(), 'X-Sage-Locale': 'en' } });
    expect(again.status).toBe(429);
    expect(again.body).toMatchObject({ success: false, code: 429, message: 'Too many requests, please try again later' });
    const bad = await anon.post('/api/auth/register/send-code', { email: 'not-an-email' }, { headers: fromNewAddress() });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('邮箱格式不正确');
  });

  it('a few codes per client address, then 429', async () => {
    const headers = fromNewAddress();
    const anon = new SageClient(gw.baseUrl);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await anon.post('/api/auth/register/send-code', { email: `burst${i}@example.com` }, { headers })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('an email that is already registered gets no code', async () => {
    const res = await new SageClient(gw.baseUrl).post('/api/auth/register/send-code', { email: 'bob@example.com' }, { headers: fromNewAddress() });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('该邮箱已被注册');
  });

  it('an admin closes registration at run time: the bootstrap says so and both routes refuse', async () => {
    const alice = asDemoUser(gw);
    const closed = await alice.post('/api/system/update_settings', { allow_registration: false });
    expect(closed.status, closed.text).toBe(200);
    try {
      expect((await new SageClient(gw.baseUrl).get('/api/system/info')).body.data.allow_registration).toBe(false);
      const res = await new SageClient(gw.baseUrl).post('/api/auth/register/send-code', { email: 'late@example.com' }, { headers: fromNewAddress() });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe('当前服务未启用本地账号注册');
      const reg = await new SageClient(gw.baseUrl).post('/api/auth/register', { username: 'late', password: 'StrongPassword123', email: 'late@example.com', verification_code: '123456' }, { headers: { ...fromNewAddress(), 'X-Sage-Locale': 'en' } });
      expect(reg.body.message).toBe('Local registration is not enabled on this server');
      expect((await alice.post('/api/system/update_settings', { allow_registration: 'no' })).status).toBe(400);
    } finally {
      expect((await alice.post('/api/system/update_settings', { allow_registration: true })).status).toBe(200);
    }
    expect((await new SageClient(gw.baseUrl).get('/api/system/info')).body.data.allow_registration).toBe(true);
  });
});

describe('registration off in the config, and SMTP configured', () => {
  let off: TestGateway;
  let smtp: TestGateway;
  beforeAll(async () => {
    off = await startSageGateway({ configure: (raw) => void (raw.dialects.sage.allow_registration = false) });
    // Port 1 on the loopback: nothing listens there, so the mail server is "down".
    smtp = await startSageGateway({ configure: (raw) => void (raw.dialects.sage.smtp = { host: '127.0.0.1', port: 1, from: 'sage@example.com' }) });
  });
  afterAll(async () => {
    await off?.stop();
    await smtp?.stop();
  });

  it('allow_registration: false refuses with the document words', async () => {
    const client = new SageClient(off.baseUrl);
    expect((await client.get('/api/system/info')).body.data.allow_registration).toBe(false);
    const res = await client.post('/api/auth/register/send-code', { email: 'x@example.com' });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('当前服务未启用本地账号注册');
  });

  it('with SMTP configured and its server unreachable the code is not pretended sent: a clear 503', async () => {
    const res = await new SageClient(smtp.baseUrl).post('/api/auth/register/send-code', { email: 'x@example.com' }, { headers: { 'X-Sage-Locale': 'en' } });
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, code: 503, message: 'The mail could not be sent; please try again later or contact the administrator' });
  });
});
