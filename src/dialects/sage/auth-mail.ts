import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SmtpMailer, smtpFailure, type OutgoingMail } from './auth-smtp.js';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

export type { OutgoingMail } from './auth-smtp.js';

/** Where registration mail goes: `check` before anything is spent for it, then `send`. */
export interface Mailer {
  /** Throws the 503 when mail cannot go out now (SMTP server down, login refused). */
  check(): Promise<void>;
  /** Throws the 503 when this mail did not go out. */
  send(mail: OutgoingMail): Promise<void>;
}

const CANNOT_SEND = { 'zh-CN': '邮件发送失败，请稍后再试或联系管理员', en: 'The mail could not be sent; please try again later or contact the administrator' };

/**
 * With `smtp` configured, mail goes out by SMTP. Without it (development)
 * the mail is written to the server log and appended, one JSON line each,
 * to `<data_dir>/outbox/mail.log`, where a developer (or a test) reads the code.
 */
export function mailerOf(c: SageContext): Mailer {
  return c.options.smtp ? smtpMailer(c, new SmtpMailer(c.options.smtp)) : outboxMailer(c);
}

function smtpMailer(c: SageContext, smtp: SmtpMailer): Mailer {
  const refuse = (err: unknown, what: string): never => {
    c.logger.warn({ smtp: smtp.server, error: smtpFailure(err) }, what);
    throw sageError('unavailable', CANNOT_SEND);
  };
  return {
    // A connection and login of its own: it costs a round trip per code, and
    // in exchange a server that is down or refuses the login spends neither
    // a code nor the address's once-a-minute budget.
    check: () => smtp.check().catch((err: unknown) => refuse(err, 'the SMTP server cannot take mail')),
    send: (mail) => smtp.send(mail).catch((err: unknown) => refuse(err, 'the SMTP server did not take a mail')),
  };
}

function outboxMailer(c: SageContext): Mailer {
  return {
    check: async () => undefined,
    send: async (mail) => {
      const dir = join(c.config.store.data_dir, 'outbox');
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, 'mail.log'), `${JSON.stringify({ ...mail, at: new Date().toISOString() })}\n`, { mode: 0o600 });
      c.logger.info({ to: mail.to, subject: mail.subject, outbox: join(dir, 'mail.log') }, 'mail written to the outbox (no smtp configured)');
    },
  };
}
