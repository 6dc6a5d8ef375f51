import type { Principal } from '../../src/engine/records.js';
import { startTestGateway, type RawConfig, type TestGateway } from '../support/gateway.js';

/** The demo tenant's users as the engine knows them (for checking what other APIs would see). */
export const alice: Principal = { tenant: 'demo', userId: 'alice', username: 'alice', admin: true, via: 'token' };
export const bob: Principal = { tenant: 'demo', userId: 'bob', username: 'bob', admin: false, via: 'token' };

export interface V1GatewayOptions {
  store?: 'memory' | 'redis';
  redisUrl?: string;
  /** Base URL of the local OpenAI-compatible server: becomes model `mock`, the demo agent's model. */
  modelUrl?: string;
  configure?: (raw: RawConfig) => void;
}

/**
 * The real gateway from the shipped config. With `modelUrl`, the demo agent
 * talks to the local model server (model key `mock`, reasoning switched on
 * by `reasoning_params`); the offline `demo` model stays selectable.
 */
export function startV1Gateway(options: V1GatewayOptions = {}): Promise<TestGateway> {
  return startTestGateway({
    store: options.store,
    redisUrl: options.redisUrl,
    configure: (raw) => {
      if (options.modelUrl) {
        raw.models.push({
          name: 'mock',
          kind: 'openai',
          base_url: options.modelUrl,
          api_key: 'sk-test',
          max_retries: 0,
          stall_timeout_ms: 20_000,
          reasoning_params: { thinking: { type: 'enabled' } },
        });
        raw.bootstrap.agents[0].model = 'mock';
      }
      options.configure?.(raw);
    },
  });
}
