import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { agentsV1Envelope } from './envelope.js';
import { renderAgentsV1Error } from './errors.js';

/** The Agents API v1 (`/api/v1/*`). */
export const createAgentsV1Dialect: DialectFactory = () => ({
  name: 'agents-v1',
  handlers: { ...notImplementedHandlers('agents-v1') },
  envelope: agentsV1Envelope,
  renderError: renderAgentsV1Error,
});
