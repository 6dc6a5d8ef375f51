import { execFileSync } from 'node:child_process';

/**
 * Builds dist/ once before the suite, so tests that run the CLI as a user
 * would (`node dist/src/cli/main.js …`) exercise the code under test, never a
 * stale build.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
