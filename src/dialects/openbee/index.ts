import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { openBeeEnvelope } from './envelope.js';
import { renderOpenBeeError } from './errors.js';

/** The OpenBee API (`/api/*` under the dialect's prefix). */
export const createOpenBeeDialect: DialectFactory = () => ({
  name: 'openbee',
  handlers: { ...notImplementedHandlers('openbee') },
  envelope: openBeeEnvelope,
  renderError: renderOpenBeeError,
});
