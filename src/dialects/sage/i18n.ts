import { EngineError, type ErrorCode } from '../../engine/errors.js';
import type { RequestView } from '../../http/dialect.js';

/** The languages the API answers in: Chinese by default, English on request. */
export type Locale = 'zh-CN' | 'en';

/** One message in every language the API speaks. */
export interface Localized {
  'zh-CN': string;
  en: string;
}

/** `X-Sage-Locale`, then `Accept-Language`; Chinese unless English is asked for first. */
export function localeOf(request: RequestView): Locale {
  const asked = request.get('X-Sage-Locale') || request.get('Accept-Language');
  return /^\s*en\b/i.test(asked) ? 'en' : 'zh-CN';
}

export function localize(request: RequestView, text: Localized): string {
  return text[localeOf(request)];
}

/**
 * An error in this API's words in both languages; the renderer picks the
 * caller's. Its plain message (logs, other readers) is the Chinese one, the
 * API's default.
 */
export function sageError(code: ErrorCode, text: Localized, detail: Record<string, unknown> = {}): EngineError {
  return new EngineError(code, text['zh-CN'], { ...detail, localized: text });
}

/** The localized text an error carries, if it was made by `sageError`. */
export function localizedOf(error: EngineError): Localized | undefined {
  const text = error.detail.localized as Localized | undefined;
  return text && typeof text['zh-CN'] === 'string' && typeof text.en === 'string' ? text : undefined;
}
