// `switchboard contract --base-url URL [--var name=value]… PATH…`: replays fixtures
// against any server and prints the report. Exit codes: 0 all passed, 1 some
// failed, 2 the command itself was wrong (usage, unreadable or invalid fixtures).

import { FixtureError } from './fixture-error.js';
import { VAR_NAME } from './interpolate.js';
import { loadFixtures } from './load-fixtures.js';
import { formatScenarioResult, formatSummary } from './report.js';
import { runScenarios } from './runner.js';
import type { Vars } from './types.js';

export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const CONTRACT_USAGE = `usage: switchboard contract --base-url URL [--var name=value]... PATH...

Replays contract fixtures (YAML files, or directories searched recursively) against
the server at URL and prints which expectations held.

  --base-url URL      server to test, e.g. http://127.0.0.1:8080 (a path prefix is kept)
  --var name=value    sets a fixture variable (repeatable), e.g. --var apiKey=$API_KEY
  -h, --help          prints this help

exit status: 0 all scenarios passed, 1 some failed, 2 usage or fixture error
`;

const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

interface CliArgs {
  baseUrl?: string;
  vars: Vars;
  paths: string[];
  help: boolean;
}

function parseArgs(argv: string[]): CliArgs | string {
  const args: CliArgs = { vars: {}, paths: [], help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '-h' || flag === '--help') args.help = true;
    else if (flag === '--base-url') {
      const url = value();
      if (url === undefined || !/^https?:\/\//i.test(url) || !URL.canParse(url)) return `--base-url needs an http(s) URL, got ${url ?? 'nothing'}`;
      args.baseUrl = url;
    } else if (flag === '--var') {
      const pair = value() ?? '';
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (eq < 0 || !VAR_NAME.test(name)) return `--var needs name=value, got ${pair === '' ? 'nothing' : pair}`;
      args.vars[name] = pair.slice(eq + 1);
    } else if (arg === '--') {
      args.paths.push(...argv.slice(i + 1));
      break;
    } else if (arg.startsWith('-')) return `unknown option ${arg}`;
    else args.paths.push(arg);
  }
  return args;
}

/** Runs the contract command; resolves to the process exit code. */
export async function runContractCli(argv: string[], output: CliOutput = processOutput): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    output.stderr(`switchboard contract: ${args}\n\n${CONTRACT_USAGE}`);
    return 2;
  }
  if (args.help) {
    output.stdout(CONTRACT_USAGE);
    return 0;
  }
  if (args.baseUrl === undefined || args.paths.length === 0) {
    output.stderr(`switchboard contract: ${args.baseUrl === undefined ? '--base-url is required' : 'no fixture paths given'}\n\n${CONTRACT_USAGE}`);
    return 2;
  }
  let scenarios;
  try {
    scenarios = await loadFixtures(args.paths);
  } catch (error) {
    if (!(error instanceof FixtureError)) throw error;
    output.stderr(`switchboard contract: ${error.message}\n`);
    return 2;
  }
  if (scenarios.length === 0) {
    output.stderr(`switchboard contract: no fixture files (*.yaml, *.yml) under ${args.paths.join(', ')}\n`);
    return 2;
  }
  const results = await runScenarios(scenarios, { baseUrl: args.baseUrl, vars: args.vars }, (result) => {
    output.stdout(`${formatScenarioResult(result)}\n\n`);
  });
  output.stdout(`${formatSummary(results)}\n`);
  return results.every((result) => result.passed) ? 0 : 1;
}
