import { agentsV1StoreSuite } from './store-suite.js';

agentsV1StoreSuite({ kind: 'memory', start: async () => undefined, stop: async () => undefined });
