import type { Config, OpenBeeConfig } from '../../config/types.js';
import type { Engine } from '../../engine/engine.js';
import type { Logger } from '../../log.js';
import type { StreamHub } from '../../stream/stream-hub.js';
import type { ViewRegistry } from '../../stream/view-registry.js';
import type { OpenBeeTokens } from './tokens.js';

/** What the OpenBee handlers are built from. */
export interface OpenBeeContext {
  engine: Engine;
  config: Config;
  options: OpenBeeConfig;
  logger: Logger;
  streams: StreamHub;
  views: ViewRegistry;
  tokens: OpenBeeTokens;
}
