/** A GitHub-flavoured Markdown table; numbers are right-aligned so columns compare at a glance. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const numeric = header.map((_, col) => rows.length > 0 && rows.every((row) => typeof row[col] === 'number'));
  const cells = rows.map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, col) => (numeric[col] ? '---:' : '---')).join(' | ')} |`,
    ...cells.map((row) => `| ${row.join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** Counts as they are; measurements to three significant digits below 100, whole above: enough for run-to-run noise. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}
