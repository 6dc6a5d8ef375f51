import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { directorySuite } from './directory-suite.js';

directorySuite('memory', () => MemoryStore.open({ dataDir: mkdtempSync(join(tmpdir(), 'sb-directory-')) }));
