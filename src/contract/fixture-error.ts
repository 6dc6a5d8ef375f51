// Why a fixture file was refused: every problem found, each with its file and the
// path of the offending key, so a CI log points straight at the line to fix.

export interface FixtureIssue {
  file?: string;
  /** Path of the bad key inside the file, e.g. `steps[1].expect.json.id.$type`; empty for the whole file. */
  path: string;
  message: string;
}

export function formatIssue(issue: FixtureIssue): string {
  const where = [issue.file, issue.path].filter((part) => part !== undefined && part !== '').join(': ');
  return where === '' ? issue.message : `${where}: ${issue.message}`;
}

export class FixtureError extends Error {
  constructor(readonly issues: FixtureIssue[]) {
    super(`invalid contract fixture:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.name = 'FixtureError';
  }
}
