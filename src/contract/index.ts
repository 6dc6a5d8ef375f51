// The contract-fixture toolkit: load YAML scenarios, replay them against a server,
// report what differs. docs/contract-fixtures.md describes the format.

export type * from './types.js';
export { FixtureError, formatIssue, type FixtureIssue } from './fixture-error.js';
export { parseFixture, loadFixtureFile, loadFixtures, listFixtureFiles } from './load-fixtures.js';
export { matchValue, isTimestamp } from './matchers.js';
export { runScenario, runScenarios } from './runner.js';
export { formatReport, formatScenarioResult, formatSummary } from './report.js';
export { runContractCli, CONTRACT_USAGE, type CliOutput } from './cli.js';
export { collectFrames, detectStreamFormat, type CollectedStream, type SseFrame } from './stream-frames.js';
