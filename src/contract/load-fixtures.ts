// Reading fixture files: one YAML file is one scenario. Directories are walked
// recursively in sorted order; inside them only *.yaml / *.yml count, and folders
// whose name starts with `_` or `.` are skipped (they hold fixtures with another
// purpose, such as fixtures/_self for the runner's own tests) unless named directly.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { FixtureError, type FixtureIssue } from './fixture-error.js';
import { validateScenario } from './validate-fixture.js';
import type { Scenario } from './types.js';

const FIXTURE_FILE = /\.ya?ml$/i;

/** Parses and validates fixture text; `file` only labels errors and the result. */
export function parseFixture(source: string, file?: string): Scenario {
  const withFile = (issues: FixtureIssue[]): FixtureIssue[] => issues.map((issue) => ({ ...issue, ...(file === undefined ? {} : { file }) }));
  const doc = parseDocument(source, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new FixtureError(withFile(doc.errors.map((error) => {
      const at = error.linePos?.[0];
      // The message ends with " at line L, column C:" and a source excerpt; the path says where.
      const message = (error.message.split('\n')[0] ?? error.code).replace(/ at line \d+, column \d+:?$/, '');
      return { path: at ? `line ${at.line}, column ${at.col}` : '', message: `YAML: ${message}` };
    })));
  }
  const { scenario, issues } = validateScenario(doc.toJS({ maxAliasCount: 100 }) as unknown);
  if (!scenario) throw new FixtureError(withFile(issues));
  return file === undefined ? scenario : { ...scenario, file };
}

export async function loadFixtureFile(file: string): Promise<Scenario> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new FixtureError([{ file, path: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseFixture(source, file);
}

async function collect(dir: string, into: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('_') && !entry.name.startsWith('.')) await collect(full, into);
    } else if (entry.isFile() && FIXTURE_FILE.test(entry.name)) {
      into.push(full);
    }
  }
}

/** The fixture files named by `paths` (files or directories), deduplicated and sorted. */
export async function listFixtureFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  const issues: FixtureIssue[] = [];
  for (const given of paths) {
    const info = await stat(given).catch(() => undefined);
    if (!info) issues.push({ file: given, path: '', message: 'no such file or directory' });
    else if (info.isDirectory()) await collect(given, files);
    else files.push(given);
  }
  if (issues.length > 0) throw new FixtureError(issues);
  return [...new Set(files)].sort();
}

/**
 * Loads every fixture under `paths`. All files are read before failing, so one
 * error lists every invalid file at once.
 */
export async function loadFixtures(paths: string[]): Promise<Scenario[]> {
  const scenarios: Scenario[] = [];
  const issues: FixtureIssue[] = [];
  for (const file of await listFixtureFiles(paths)) {
    try {
      scenarios.push(await loadFixtureFile(file));
    } catch (error) {
      if (!(error instanceof FixtureError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new FixtureError(issues);
  return scenarios;
}
