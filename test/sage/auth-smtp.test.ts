/**
 * Registration mail by SMTP: with `dialects.sage.smtp` set the code goes to
 * a real SMTP server (one from the `smtp-server` package, on a random port
 * here), and registering with it works. A server that refuses the login or
 * is down answers a clear 503 that spends nothing, so the next try after it
 * is fixed goes through; a mail the server refuses leaves no usable code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, parseConfig } from '../../src/config/load.js';
import { maskSecrets } from '../../src/config/mask.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { TestGateway } from '../support/gateway.js';
import { SageClient, startSageGateway } from './client.js';

const SMTP_USER = 'sage-mailer';
const SMTP_PASSWORD = 'smtp-secret-password';

interface Received {
  from: string;
  to: string[];
  headers: string;
  text: string;
}

/**
 * A plain-text SMTP server that asks for a login: `accept` is the password it
 * takes now, `refuseData` makes it refuse the next messages after reading them.
 */
class MailServer {
  readonly received: Received[] = [];
  accept = SMTP_PASSWORD;
  refuseData = false;
  private server: SMTPServer | undefined;

  async listen(port = 0): Promise<number> {
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, done) => {
        if (auth.username === SMTP_USER && auth.password === this.accept) done(null, { user: auth.username });
        else done(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mail = parseMail(raw);
          this.received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), ...mail });
          if (this.refuseData) done(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
          else done();
        });
      },
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
    return (server.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The six-digit code of the last mail to `to`. */
  codeFor(to: string): string {
    const mail = this.received.filter((m) => m.to.includes(to)).at(-1);
    return /\b(\d{6})\b/.exec(mail?.text ?? '')?.[1] ?? '';
  }
}

/** Headers and decoded text of a single-part text mail (base64 or quoted-printable, as nodemailer writes it). */
function parseMail(raw: string): { headers: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return { headers, text: Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') };
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return { headers, text: Buffer.from(bytes, 'latin1').toString('utf8') };
  }
  return { headers, text: body };
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const smtpGateway = (port: number) =>
  startSageGateway({
    configure: (raw) => {
      raw.server.trust_proxy = ['127.0.0.1'];
      raw.dialects.sage.smtp = { host: '127.0.0.1', port, secure: false, user: SMTP_USER, password: SMTP_PASSWORD, from: 'Sage <sage@example.com>' };
    },
  });

let nextAddress = 1;
const fromNewAddress = () => ({ 'x-forwarded-for': `203.0.113.${nextAddress++}` });

describe('registration mail by SMTP', () => {
  const mail = new MailServer();
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await smtpGateway(await mail.listen());
  });
  afterAll(async () => {
    await gw?.stop();
    await mail.close();
  });

  it('send-code mails the code to the address; registering with it works, then the login by email', async () => {
    const anon = new SageClient(gw.baseUrl);
    const headers = fromNewAddress();
    const sent = await anon.post('/api/auth/register/send-code', { email: 'Mail.User@Example.com' }, { headers });
    expect(sent.status, sent.text).toBe(200);
    expect(sent.body.data).toEqual({ expires_in: 600, retry_after: 60 });

    const got = mail.received.filter((m) => m.to.includes('mail.user@example.com'));
    expect(got).toHaveLength(1);
    expect(got[0]!.from).toBe('sage@example.com');
    expect(got[0]!.headers).toMatch(/^to:\s*mail\.user@example\.com/im);
    const code = mail.codeFor('mail.user@example.com');
    expect(code).toMatch(/^\d{6}$/);
    expect(got[0]!.text).toContain(`Your code is ${code}`);
    // Nothing goes to the development outbox when SMTP is configured.
    expect(existsSync(join(gw.config.store.data_dir, 'outbox', 'mail.log'))).toBe(false);

    const reg = await anon.post('/api/auth/register', { username: 'mailuser', password: 'StrongPassword123', email: 'mail.user@example.com', verification_code: code }, { headers });
    expect(reg.status, reg.text).toBe(200);
    const login = await anon.post('/api/auth/login', { username_or_email: 'mail.user@example.com', password: 'StrongPassword123' }, { headers });
    expect(login.status, login.text).toBe(200);
  });

  it('a server refusing the login: 503 in the envelope, no mail; after the fix the same address gets its code at once', async () => {
    const anon = new SageClient(gw.baseUrl);
    const headers = { ...fromNewAddress(), 'X-Sage-Locale': 'en' };
    mail.accept = 'the-server-wants-another-password';
    try {
      for (let i = 0; i < 2; i++) {
        const refused = await anon.post('/api/auth/register/send-code', { email: 'refused@example.com' }, { headers });
        expect(refused.status).toBe(503);
        expect(refused.body).toMatchObject({ success: false, code: 503, message: 'The mail could not be sent; please try again later or contact the administrator' });
        expect(refused.text).not.toContain(SMTP_PASSWORD);
      }
      expect(mail.received.filter((m) => m.to.includes('refused@example.com'))).toHaveLength(0);
    } finally {
      mail.accept = SMTP_PASSWORD;
    }
    const sent = await anon.post('/api/auth/register/send-code', { email: 'refused@example.com' }, { headers });
    expect(sent.status, sent.text).toBe(200);
    const code = mail.codeFor('refused@example.com');
    const reg = await anon.post('/api/auth/register', { username: 'refuseduser', password: 'StrongPassword123', email: 'refused@example.com', verification_code: code }, { headers });
    expect(reg.status, reg.text).toBe(200);
  });

  it('a mail the server refuses after reading it: 503, and the code in it is not left usable', async () => {
    const anon = new SageClient(gw.baseUrl);
    const headers = fromNewAddress();
    mail.refuseData = true;
    try {
      const refused = await anon.post('/api/auth/register/send-code', { email: 'bounced@example.com' }, { headers });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ success: false, code: 503, message: '邮件发送失败，请稍后再试或联系管理员' });
    } finally {
      mail.refuseData = false;
    }
    const code = mail.codeFor('bounced@example.com');
    expect(code).toMatch(/^\d{6}$/);
    const reg = await anon.post('/api/auth/register', { username: 'bounceduser', password: 'StrongPassword123', email: 'bounced@example.com', verification_code: code }, { headers });
    expect(reg.status).toBe(400);
    expect(reg.body.message).toBe('验证码错误或已过期');
  });

  it('an address a mail header could read as several is refused before anything is sent', async () => {
    const res = await new SageClient(gw.baseUrl).post('/api/auth/register/send-code', { email: 'a,b@example.com' }, { headers: fromNewAddress() });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('邮箱格式不正确');
  });
});

describe('an SMTP server that is down', () => {
  const mail = new MailServer();
  let gw: TestGateway;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    gw = await smtpGateway(port);
  });
  afterAll(async () => {
    await gw?.stop();
    await mail.close();
  });

  it('answers 503; once the server is up, a second try of the same address works', async () => {
    const anon = new SageClient(gw.baseUrl);
    const headers = fromNewAddress();
    const down = await anon.post('/api/auth/register/send-code', { email: 'later@example.com' }, { headers });
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ success: false, code: 503, error_detail: expect.any(String) });

    await mail.listen(port);
    const sent = await anon.post('/api/auth/register/send-code', { email: 'later@example.com' }, { headers });
    expect(sent.status, sent.text).toBe(200);
    expect(mail.codeFor('later@example.com')).toMatch(/^\d{6}$/);
  });
});

describe('the SMTP password in the config', () => {
  it('comes from an environment variable like the other secrets, and is masked when the config is shown', () => {
    const raw = parse(readFileSync(join(PACKAGE_ROOT, DEFAULT_CONFIG_PATH), 'utf8')) as { dialects: { sage: Record<string, unknown> } };
    raw.dialects.sage.smtp = { host: 'smtp.example.com', user: 'mailer', password: '${SAGE_SMTP_PASSWORD}', from: 'sage@example.com' };
    const config = parseConfig(raw, { SAGE_SMTP_PASSWORD: 'from-the-env' });
    expect(config.dialects.sage.smtp).toMatchObject({ host: 'smtp.example.com', port: 587, secure: false, password: 'from-the-env' });
    expect(JSON.stringify(maskSecrets(config))).not.toContain('from-the-env');
    expect(() => parseConfig(raw, {})).toThrow(/SAGE_SMTP_PASSWORD/);
    raw.dialects.sage.smtp = { host: 'smtp.example.com', password: 'no-user', from: 'sage@example.com' };
    expect(() => parseConfig(raw, {})).toThrow(expect.objectContaining({ problems: ['dialects.sage.smtp: must have property user when property password is present'] }));
  });
});
