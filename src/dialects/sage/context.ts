import type Koa from 'koa';
import type { Config, SageConfig } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import type { Logger } from '../../log.js';
import type { StreamHub } from '../../stream/stream-hub.js';
import type { ViewRegistry } from '../../stream/view-registry.js';

/** What the Sage handlers are built from. */
export interface SageContext {
  engine: Engine;
  config: Config;
  options: SageConfig;
  logger: Logger;
  streams: StreamHub;
  views: ViewRegistry;
  /** The gateway's browser sign-out (`DialectDeps.signOut`): Sage's logout. */
  signOut(ctx: Koa.Context): Promise<void>;
}
