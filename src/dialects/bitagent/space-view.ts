import type Koa from 'koa';
import type { Principal } from '../../engine/records.js';
import type { StoredFile } from '../../engine/workspace.js';
import type { BitAgentContext } from './context.js';
import { downloadUrl, textContent } from './files.js';
import type { SpaceFile, StepTracker } from './step-tracker.js';

/**
 * The space view of a task or a session: the files it used and made, its
 * memos (thinking, answers, errors, cards, in order) and its step tree.
 * A session's view joins the views of its tasks, oldest first.
 */
export async function spaceView(ctx: Koa.Context, c: BitAgentContext, principal: Principal, trackers: StepTracker[], uploads: StoredFile[]) {
  const files: SpaceFile[] = [];
  for (const file of uploads) {
    files.push({
      id: file.id,
      origin: 'upload',
      name: file.name,
      desc: null,
      text_content: await textContent(c, principal, file),
      size: file.size,
      url: downloadUrl(ctx, file),
    });
  }
  for (const tracker of trackers) files.push(...tracker.files);
  return {
    files,
    memos: trackers.flatMap((t) => t.memos),
    steps: trackers.flatMap((t) => t.tree()),
  };
}
