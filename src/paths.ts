import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the package's own files (config/, fixtures/), found by
 * walking up from this module: the same answer whether the code runs from
 * src/ (tests) or dist/src/ (built), or from node_modules.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'config', 'dialects'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Switchboard package root');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
export const ROUTE_TABLE_DIR = join(PACKAGE_ROOT, 'config', 'dialects');
