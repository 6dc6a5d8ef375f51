import { afterAll, beforeAll } from 'vitest';
import type { TestGateway } from '../support/gateway.js';
import { chunk, startOpenAIServer, type OpenAIServer, type StreamReply } from '../support/openai-server.js';
import { asDemoUser, startSageGateway, type SageClient, type SageGatewayOptions } from './client.js';

/** What a test file gets: the local model server, a gateway running on it, and its two demo users. */
export interface SageSetup {
  model: OpenAIServer;
  gw: TestGateway;
  /** An admin. */
  alice: SageClient;
  /** Not an admin. */
  bob: SageClient;
}

/**
 * Starts a local OpenAI-compatible server and a gateway whose demo agent runs
 * on it before the file's tests, and stops both after them. The fields are
 * filled in by the time the first test runs.
 */
export function useSageGateway(options: Omit<SageGatewayOptions, 'modelUrl'> = {}): SageSetup {
  const setup = {} as SageSetup;
  beforeAll(async () => {
    setup.model = await startOpenAIServer();
    setup.gw = await startSageGateway({ ...options, modelUrl: setup.model.url });
    setup.alice = asDemoUser(setup.gw, 'alice');
    setup.bob = asDemoUser(setup.gw, 'bob');
  });
  afterAll(async () => {
    await setup.gw?.stop();
    await setup.model?.close();
  });
  return setup;
}

/** A web-stream body as the chat page sends it (trimmed to what a test varies). */
export const webStreamBody = (sessionId: string, content: string) => ({
  messages: [{ role: 'user', content }],
  session_id: sessionId,
  agent_mode: 'simple',
  agent_id: 'demo-agent',
});

/** A first turn that says a little, then calls the calculator slowly: time for guidance to arrive before the next turn. */
export function slowToolTurn(): StreamReply {
  return {
    delayMs: 150,
    chunks: [
      chunk.text('Let me work it out. '),
      ...chunk.toolCall({ id: 'call_1', name: 'calculator', arguments: '{"expression": "6 * 7"}' }, 4),
      chunk.finish('tool_calls'),
      chunk.usage(10, 5),
    ],
  };
}
