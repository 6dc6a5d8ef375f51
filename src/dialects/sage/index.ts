import type { DialectFactory } from '../../http/dialect.js';
import { notImplementedHandlers } from '../not-implemented.js';
import { sageEnvelope } from './envelope.js';
import { renderSageError } from './errors.js';

/** The Sage HTTP API (`/api/*`). */
export const createSageDialect: DialectFactory = () => ({
  name: 'sage',
  handlers: { ...notImplementedHandlers('sage') },
  envelope: sageEnvelope,
  renderError: renderSageError,
});
