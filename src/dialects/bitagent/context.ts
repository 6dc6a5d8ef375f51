import type { BitAgentConfig, Config } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import type { Logger } from '../../log.js';
import type { StreamHub } from '../../stream/stream-hub.js';
import type { BitAgentViews } from './stream-view.js';
import type { UserTokens } from './user-tokens.js';

/** What every handler of the dialect works with, built once when the dialect is. */
export interface BitAgentContext {
  engine: Engine;
  config: Config;
  options: BitAgentConfig;
  logger: Logger;
  streams: StreamHub;
  tokens: UserTokens;
  /** The task streams' frames, shared by every stream and view of a task. */
  views: BitAgentViews;
}

/** The workspace area that holds this API's uploads. */
export const FILE_AREA = 'bitagent_files';
