import type { DialectName } from '../config/types.js';
import type { DialectFactory } from '../http/dialect.js';
import { createAgentsV1Dialect } from './agents-v1/index.js';
import { createBitAgentDialect } from './bitagent/index.js';
import { createOpenBeeDialect } from './openbee/index.js';
import { createSageDialect } from './sage/index.js';

/** Every dialect the gateway can mount; the record type makes a missing one a build error. */
export const DIALECT_FACTORIES: Record<DialectName, DialectFactory> = {
  sage: createSageDialect,
  bitagent: createBitAgentDialect,
  'agents-v1': createAgentsV1Dialect,
  openbee: createOpenBeeDialect,
};
