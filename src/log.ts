import { pino, type Logger as PinoLogger } from 'pino';

/** The one logger shape the code depends on; pino provides it. */
export type Logger = Pick<PinoLogger, 'info' | 'warn' | 'error' | 'debug' | 'child'>;

/**
 * Structured JSON logs on stdout. Anything that may hold a secret is redacted
 * by path, so a credential never reaches the log even by accident.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.api_key',
        '*.password',
        '*.token',
        '*.client_secret',
        'config.models[*].api_key',
      ],
      censor: '***',
    },
  });
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = pino({ level: 'silent' });
