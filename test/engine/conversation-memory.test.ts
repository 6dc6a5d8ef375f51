import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { conversationSuite } from './conversation-suite.js';

conversationSuite('memory', () => MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-conversations-')) }));
