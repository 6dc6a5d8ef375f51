import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SageContext } from './context.js';
import { sageError } from './i18n.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Where registration mail goes. With `smtp` configured it would go out by
 * SMTP, which this server does not speak yet, so it says so clearly rather
 * than pretending to send. Without it (development) the mail is written to
 * the server log and appended, one JSON line each, to
 * `<data_dir>/outbox/mail.log`, where a developer (or a test) reads the code.
 */
export async function sendMail(c: SageContext, mail: OutgoingMail): Promise<void> {
  assertMailCanGo(c);
  const dir = join(c.config.store.data_dir, 'outbox');
  await mkdir(dir, { recursive: true });
  await appendFile(join(dir, 'mail.log'), `${JSON.stringify({ ...mail, at: new Date().toISOString() })}\n`, { mode: 0o600 });
  c.logger.info({ to: mail.to, subject: mail.subject, outbox: join(dir, 'mail.log') }, 'mail written to the outbox (no smtp configured)');
}

/** Refuses before anything is spent (a code, a rate budget) when mail cannot go out. */
export function assertMailCanGo(c: SageContext): void {
  if (c.options.smtp) {
    throw sageError('unavailable', { 'zh-CN': '邮件发送（SMTP）暂不支持，请联系管理员', en: 'Sending mail by SMTP is not supported yet; please contact the administrator' });
  }
}
