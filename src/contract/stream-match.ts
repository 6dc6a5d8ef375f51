// Checking collected frames against `expect.stream`. By default the expected frames
// must appear in order among the received ones (other frames in between are fine:
// heartbeats, deltas); `strict` asks for exactly these frames.

import { matchValue } from './matchers.js';
import { childPath } from './json-values.js';
import type { CollectedStream } from './stream-frames.js';
import type { Failure, Matcher, StreamExpect, Vars } from './types.js';

export const DEFAULT_STREAM_TIMEOUT_MS = 10_000;

/** Failures of one frame against one matcher, evaluated without touching `vars`. */
function trial(matcher: Matcher, frame: unknown, path: string, vars: Vars): Failure[] {
  return matchValue(matcher, frame, path, { ...vars });
}

/**
 * A stop rule for collectFrames: after the `until` frame; or, when nothing after the
 * expected frames matters (not strict, no `complete`), as soon as they all arrived.
 */
export function createStopRule(spec: StreamExpect, vars: Vars): (frame: unknown) => boolean {
  if (spec.until !== undefined) {
    const until = spec.until;
    return (frame) => trial(until, frame, 'stream.until', vars).length === 0;
  }
  if (spec.strict === true || spec.complete === true) return () => false;
  let next = 0;
  const scratch: Vars = { ...vars };
  return (frame) => {
    const expected = spec.frames[next];
    if (expected !== undefined && matchValue(expected, frame, '', { ...scratch }).length === 0) {
      matchValue(expected, frame, '', scratch); // keep captures: later frames may refer to them
      next += 1;
    }
    return next >= spec.frames.length;
  };
}

function why(collected: CollectedStream, timeoutMs: number): string {
  if (collected.error !== undefined) return `the connection failed: ${collected.error}`;
  if (collected.timedOut) return `the stream was still open after ${timeoutMs} ms`;
  if (collected.stopped) return 'reading stopped at the `until` frame';
  return 'the stream ended';
}

/** Every failure of the collected stream against the spec; captures are written into `vars`. */
export function matchStream(spec: StreamExpect, collected: CollectedStream, vars: Vars): Failure[] {
  const timeoutMs = spec.timeout_ms ?? DEFAULT_STREAM_TIMEOUT_MS;
  const failures: Failure[] = [];
  const { frames } = collected;
  if (spec.until !== undefined && !collected.stopped) {
    failures.push({ path: 'stream.until', expected: spec.until, actual: frames.at(-1), message: `no frame matched \`until\` before ${why(collected, timeoutMs)} (${frames.length} frame(s) received)` });
  }
  if (spec.complete === true && !collected.ended) {
    failures.push({ path: 'stream.complete', expected: true, actual: false, message: `the stream did not end: ${why(collected, timeoutMs)}` });
  }
  const base = 'stream.frames';
  if (spec.strict === true) {
    if (frames.length !== spec.frames.length) {
      failures.push({ path: base, expected: spec.frames, actual: frames, message: `expected exactly ${spec.frames.length} frame(s), received ${frames.length} before ${why(collected, timeoutMs)}` });
      return failures;
    }
    spec.frames.forEach((matcher, i) => failures.push(...matchValue(matcher, frames[i], childPath(base, i), vars)));
    return failures;
  }
  let position = 0;
  for (const [i, matcher] of spec.frames.entries()) {
    const path = childPath(base, i);
    const found = frames.findIndex((frame, k) => k >= position && trial(matcher, frame, path, vars).length === 0);
    if (found >= 0) {
      matchValue(matcher, frames[found], path, vars);
      position = found + 1;
      continue;
    }
    const after = position === 0 ? 'among the received frames' : `after received frame #${position - 1}`;
    if (position >= frames.length) {
      failures.push({ path, expected: matcher, message: `not received: no frame ${after}; ${why(collected, timeoutMs)}` });
      break;
    }
    // Point at the received frame that came closest, with its own differences.
    let closest = position;
    let closestFailures = trial(matcher, frames[position], path, vars);
    for (let k = position + 1; k < frames.length; k += 1) {
      const attempt = trial(matcher, frames[k], path, vars);
      if (attempt.length < closestFailures.length) {
        closest = k;
        closestFailures = attempt;
      }
    }
    failures.push({ path, expected: matcher, actual: frames[closest], message: `no matching frame ${after} (${frames.length - position} candidate(s)); closest is received frame #${closest}` });
    failures.push(...closestFailures.filter((failure) => failure.path !== path).map((failure) => ({ ...failure, message: `${failure.message} (in received frame #${closest})` })));
    break;
  }
  return failures;
}
