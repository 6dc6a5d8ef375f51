import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { engineSuite } from './engine-suite.js';

// Each `open()` gets a fresh folder; `reopen()` opens the last one again, as a
// restarted instance does (the suite closes the first handle before that).
const root = mkdtempSync(join(tmpdir(), 'sb-engine-sqlite-'));
let dir = '';
engineSuite('sqlite', {
  open: () => {
    dir = mkdtempSync(join(root, 'e-'));
    return SqliteStore.open({ dataDir: dir });
  },
  reopen: () => SqliteStore.open({ dataDir: dir }),
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
