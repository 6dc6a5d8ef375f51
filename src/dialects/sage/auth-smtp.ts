import nodemailer, { type Transporter } from 'nodemailer';
import type { SageConfig } from '../../config/types.js';

export type SmtpOptions = NonNullable<SageConfig['smtp']>;

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/**
 * A request waits for the mail server: these bound how long a dead or slow
 * one can hold it (nodemailer's own defaults run to minutes).
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 };

/**
 * Mail out through the configured SMTP server. `secure: true` speaks TLS
 * from the first byte (usually port 465); otherwise the connection is
 * upgraded with STARTTLS whenever the server offers it. The password is
 * handed to the transport only, never logged.
 */
export class SmtpMailer {
  private readonly transport: Transporter;

  constructor(private readonly smtp: SmtpOptions) {
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: smtp.password ?? '' },
      ...TIMEOUTS,
      logger: false,
      debug: false,
    });
  }

  /** Where mail goes, for logs (no credentials). */
  get server(): string {
    return `${this.smtp.host}:${this.smtp.port}`;
  }

  /** Connects and logs in without sending: throws when the server is down or refuses the login. */
  async check(): Promise<void> {
    await this.transport.verify();
  }

  async send(mail: OutgoingMail): Promise<void> {
    await this.transport.sendMail({
      from: this.smtp.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      // The recipient given as the envelope too, so nothing in the header is read as more addresses.
      envelope: { from: this.smtp.from, to: [mail.to] },
    });
  }
}

/** What of a failed SMTP exchange may be logged: codes and the server's words, never the credentials or the mail. */
export function smtpFailure(err: unknown): Record<string, unknown> {
  const { code, responseCode, command } = (err ?? {}) as { code?: unknown; responseCode?: unknown; command?: unknown };
  return {
    code,
    responseCode,
    // AUTH commands carry credentials after their mechanism name: only the verb is kept.
    command: typeof command === 'string' ? command.split(' ')[0] : undefined,
    message: err instanceof Error ? err.message : String(err),
  };
}
