import { formatNumber, markdownTable } from './markdown-table.js';
import type { Medianed } from './rotation.js';

/** What a figure must show; a ratio is always gateway ÷ floor. */
export type Target =
  | { kind: 'ratio-at-least'; value: number }
  | { kind: 'ratio-at-most'; value: number }
  | { kind: 'at-most'; value: number; unit: string }
  | { kind: 'same-as-floor' }
  /** At most `value` above the floor: a count that noise may move a little, but work per stream would move a lot. */
  | { kind: 'at-most-above-floor'; value: number; unit: string };

/** One row of the report: the gateway's figure beside its floor's. */
export interface Figure {
  what: string;
  gateway: Medianed;
  floor: Medianed;
  /** No target: the row is there to be read, not judged. */
  target?: Target;
}

export function targetText(target: Target | undefined): string {
  if (!target) return '—';
  switch (target.kind) {
    case 'ratio-at-least':
      return `≥ ${target.value.toFixed(2)}x`;
    case 'ratio-at-most':
      return `≤ ${target.value.toFixed(2)}x`;
    case 'at-most':
      return `≤ ${target.value} ${target.unit}`;
    case 'same-as-floor':
      return '= floor';
    case 'at-most-above-floor':
      return `≤ floor + ${target.value} ${target.unit}`;
  }
}

export function meetsTarget(figure: Figure): boolean | undefined {
  const { target } = figure;
  const gateway = figure.gateway.median;
  const ratio = gateway / figure.floor.median;
  if (!target) return undefined;
  switch (target.kind) {
    case 'ratio-at-least':
      return ratio >= target.value;
    case 'ratio-at-most':
      return ratio <= target.value;
    case 'at-most':
      return gateway <= target.value;
    case 'same-as-floor':
      return gateway === figure.floor.median;
    case 'at-most-above-floor':
      return gateway <= figure.floor.median + target.value;
  }
}

/** The report's one table: what, gateway, floor, ratio, target, pass/fail. */
export function figureTable(figures: readonly Figure[]): string {
  return markdownTable(
    ['what', 'gateway', 'floor', 'ratio', 'target', 'result'],
    figures.map((f) => {
      const ratio = f.gateway.median / f.floor.median;
      const met = meetsTarget(f);
      return [
        f.what,
        f.gateway.median,
        f.floor.median,
        Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : 'n/a',
        targetText(f.target),
        met === undefined ? '—' : met ? 'pass' : '**fail**',
      ];
    }),
  );
}

/** Every run behind each median, so a reader can see the spread the median came from. */
export function runList(figures: readonly Figure[]): string {
  const runs = (m: Medianed): string => m.samples.map(formatNumber).join(', ');
  return figures.map((f) => `- ${f.what}: gateway ${runs(f.gateway)}; floor ${runs(f.floor)}`).join('\n');
}
