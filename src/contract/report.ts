// The human-readable report: one ✓/✗ line per scenario and step, and under each
// failing step the path that differs with expected and actual values side by side.
// Plain text without colours, because it mostly ends up in CI logs.

import { renderValue } from './json-values.js';
import type { Failure, ScenarioResult, StepResult } from './types.js';

function formatFailure(failure: Failure): string[] {
  const lines = [`      ${failure.path}: ${failure.message}`];
  if ('expected' in failure && failure.expected !== undefined) lines.push(`        expected: ${renderValue(failure.expected)}`);
  if ('actual' in failure) lines.push(`        actual:   ${renderValue(failure.actual)}`);
  return lines;
}

function formatStep(step: StepResult): string[] {
  if (step.skipped) return [`  - ${step.name} (skipped)`];
  const mark = step.passed ? '✓' : '✗';
  const attempts = step.attempts !== undefined && step.attempts > 1 ? `, ${step.attempts} attempts` : '';
  const sent = step.request ? `  [${step.request.method} ${step.request.url}${step.status === undefined ? '' : ` → ${step.status}`}${attempts}]` : '';
  const head = `  ${mark} ${step.name}${step.passed ? '' : sent}`;
  return [head, ...step.failures.flatMap(formatFailure)];
}

/** One scenario's block: its ✓/✗ line, then its steps. */
export function formatScenarioResult(result: ScenarioResult): string {
  const where = result.file === undefined ? '' : ` (${result.file})`;
  const lines = [`${result.passed ? '✓' : '✗'} ${result.name}${where}`, ...result.steps.flatMap(formatStep)];
  return lines.join('\n');
}

/** The one-line tally closing a report. */
export function formatSummary(results: ScenarioResult[]): string {
  const failed = results.filter((result) => !result.passed).length;
  return `${results.length} scenario(s): ${results.length - failed} passed, ${failed} failed`;
}

/** The whole report: every scenario block, a blank line between them, then the tally. */
export function formatReport(results: ScenarioResult[]): string {
  return [...results.map(formatScenarioResult), formatSummary(results)].join('\n\n') + '\n';
}
