import type Koa from 'koa';
import { EngineError } from '../../engine/errors.js';
import type { Principal } from '../../engine/records.js';
import { ExecutorError } from '../../executors/executor.js';
import { oneShot, oneShotStream, type OneShotRequest } from '../../executors/one-shot.js';
import { optionalText, sageBody } from './auth-body.js';
import type { SageContext } from './context.js';
import { localize, sageError, type Localized } from './i18n.js';
import { sageNdjson } from './stream-run.js';

/** Longest draft accepted: a chat input, not a document. */
export const MAX_DRAFT_LENGTH = 8000;

const SYSTEM_PROMPT = [
  'You improve the draft of a message a user is about to send to an AI assistant.',
  'Rewrite it so that it is clear, specific and complete, keeping its intent, facts and language',
  '(answer in the language of the draft). Do not answer the message and do not add commentary:',
  'reply with the rewritten message only.',
].join(' ');

/**
 * The draft of `POST /api/chat/optimize-input[/stream]`: `input` (the web UI's
 * field), also taken as `content`, `text` or `query`; it must not be blank.
 */
export function optimizeRequest(ctx: Koa.Context): OneShotRequest & { user: string } {
  const body = sageBody(ctx);
  let draft: string | undefined;
  for (const field of ['input', 'content', 'text', 'query']) {
    draft ??= optionalText(body, field);
  }
  if (draft === undefined || draft.trim() === '') {
    throw sageError('invalid_argument', { 'zh-CN': '缺少 input', en: 'input is required' }, { field: 'input' });
  }
  if (draft.length > MAX_DRAFT_LENGTH) {
    throw sageError(
      'invalid_argument',
      { 'zh-CN': `input 不能超过 ${MAX_DRAFT_LENGTH} 个字符`, en: `input must be at most ${MAX_DRAFT_LENGTH} characters` },
      { field: 'input' },
    );
  }
  return { system: SYSTEM_PROMPT, user: draft.trim() };
}

function failureText(err: unknown): Localized {
  const detail = err instanceof ExecutorError ? err.message : 'unexpected error';
  return { 'zh-CN': `模型调用失败：${detail}`, en: `The model call failed: ${detail}` };
}

/** A model failure as this API reports it: 503, with the model server's reason. */
function modelFailure(err: unknown): EngineError {
  return err instanceof EngineError ? err : sageError('unavailable', failureText(err));
}

/** `data: {original_input, optimized_input}`; the call stops when the client leaves. */
export async function optimizeInput(c: SageContext, ctx: Koa.Context) {
  const request = optimizeRequest(ctx);
  const controller = new AbortController();
  const onClose = () => controller.abort(new Error('the client left'));
  ctx.res.once('close', onClose);
  try {
    const optimized = await oneShot({ config: c.config }, { ...request, signal: controller.signal });
    return { original_input: request.user, optimized_input: optimized };
  } catch (err) {
    throw modelFailure(err);
  } finally {
    ctx.res.off('close', onClose);
  }
}

/**
 * The rewrite as it is written: an NDJSON stream (`text/plain`, like Sage's
 * chat streams) of `{"type": "delta", "content"}` lines, then one
 * `{"type": "done", "content", "optimized_input"}` line with the whole text.
 * A model failure after the stream opened is an `{"type": "error", "content"}`
 * line instead of `done`. The model call stops when the client leaves.
 */
export async function optimizeInputStream(c: SageContext, ctx: Koa.Context, principal: Principal): Promise<undefined> {
  const request = optimizeRequest(ctx);
  const out = sageNdjson(ctx, c, principal);
  const controller = new AbortController();
  out.writer.onClose(() => controller.abort(new Error('the client left')));
  let text = '';
  try {
    for await (const delta of oneShotStream({ config: c.config }, { ...request, signal: controller.signal })) {
      text += delta;
      await out.line({ type: 'delta', content: delta });
    }
    const optimized = text.trim();
    await out.end({ type: 'done', content: optimized, optimized_input: optimized });
  } catch (err) {
    if (out.writer.closed) return undefined;
    await out.end({ type: 'error', content: localize(ctx, failureText(err)) });
  }
  return undefined;
}
