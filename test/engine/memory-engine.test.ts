import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.js';
import { engineSuite } from './engine-suite.js';

// A memory store's data outlives a handle only through its snapshot folder:
// reopening the folder is what a restarted instance does.
let dir = '';
engineSuite('memory', {
  open: () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-engine-'));
    return MemoryStore.open({ dataDir: dir });
  },
  reopen: () => MemoryStore.open({ dataDir: dir }),
});
