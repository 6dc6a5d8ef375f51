import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { retentionSuite } from './retention-suite.js';

const root = mkdtempSync(join(tmpdir(), 'sb-retention-sqlite-'));
retentionSuite('sqlite', () => SqliteStore.open({ dataDir: mkdtempSync(join(root, 'r-')) }));
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
