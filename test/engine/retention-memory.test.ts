import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { retentionSuite } from './retention-suite.js';

retentionSuite('memory', () => MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-retention-')) }));
