import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { bitAgentEnvelope } from './envelope.js';
import { renderBitAgentError } from './errors.js';

/** The bit-Agent OpenAPI (`/v3/openapi/*`). */
export const createBitAgentDialect: DialectFactory = () => ({
  name: 'bitagent',
  handlers: { ...notImplementedHandlers('bitagent') },
  envelope: bitAgentEnvelope,
  renderError: renderBitAgentError,
});
