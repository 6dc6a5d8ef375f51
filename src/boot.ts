import type { Config } from './config/types.js';
import { createExecutor } from './executors/registry.js';
import { lookupTools } from './executors/tools.js';
import { Gateway } from './http/gateway.js';
import type { Logger } from './log.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';

/**
 * Wires a gateway from a validated config: store, executors, tools. The one
 * composition root; tests use it too, with a store of their choosing.
 */
export async function startGateway(config: Config, logger: Logger, store?: Store): Promise<Gateway> {
  const opened = store ?? (await openStore(config, logger));
  const gateway = new Gateway({
    config,
    logger,
    store: opened,
    executorFor: createExecutor,
    toolsFor: lookupTools,
  });
  try {
    await gateway.start();
  } catch (err) {
    await gateway.close().catch(() => undefined);
    throw err;
  }
  return gateway;
}
