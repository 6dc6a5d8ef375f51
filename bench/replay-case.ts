import { bearer, createBitAgentTask, STREAM_TOKEN, startGateway, taskStreamPath } from './gateway-api.js';
import type { Figure } from './figures.js';
import type { ModelServer } from './model-server.js';
import { medianed, rotate } from './rotation.js';
import type { ServerChild } from './server-child.js';
import type { SseClients } from './sse-clients.js';
import { floorHeaders, startSseFloor } from './sse-floor.js';
import { frameId } from './sse-frames.js';
import type { TimedRead } from './sse-read.js';

/**
 * Case 4: replay of a finished task's bit-Agent stream from a log of 10,000
 * model deltas, on the memory store: read whole, and resumed with
 * `Last-Event-ID` from an early frame. The log is made by a real run (the
 * model sends its 10,000 deltas as fast as the gateway reads them). The
 * figure is first byte to last byte of the response, with a fresh connection
 * per read; the floor is a bare server writing the same bytes in one write.
 */

const DELTAS = 10_000;
/** The resumed read starts after this frame (counting from 1): early in the log, so nearly all of it is sent. */
const RESUME_AFTER_FRAME = 10;
const ROUNDS = 7;

export async function replayFigures(model: ModelServer, redisUrl: string, clients: SseClients): Promise<Figure[]> {
  const gateway = await startGateway('memory', redisUrl, model.url);
  let floor: ServerChild | undefined;
  try {
    const asked = model.plan('replay', { kind: 'text', pieces: Array.from({ length: DELTAS }, (_, i) => `d${i} `), intervalMs: 0 });
    const taskId = await createBitAgentTask(gateway.port, 'plan:replay');
    await asked;
    const path = taskStreamPath(taskId);
    const auth = bearer(STREAM_TOKEN);
    // Followed live to its end, so the task has finished before the first timed read.
    const live = await clients.read(gateway.port, path, auth);
    console.error(`[bench] replay: ${DELTAS} deltas made ${live.frames} frames (${(live.bytes / 1024).toFixed(0)} KiB), live in ${live.firstToLastByteMs.toFixed(0)} ms`);

    const whole = await clients.read(gateway.port, path, auth, true);
    if (whole.frames < DELTAS) throw new Error(`the replay has ${whole.frames} frames, fewer than the ${DELTAS} deltas: was the log trimmed?`);
    const resumeId = whole.body?.map(frameId).filter((id) => id !== undefined)[RESUME_AFTER_FRAME - 1];
    if (resumeId === undefined) throw new Error('the replay has no frame ids to resume from');
    const resumeHeaders = { ...auth, 'last-event-id': resumeId };
    const resumed = await clients.read(gateway.port, path, resumeHeaders, true);
    floor = await startSseFloor({
      headers: floorHeaders(whole.headers),
      bodies: { '/whole': (whole.body ?? []).join(''), '/resumed': (resumed.body ?? []).join('') },
    });
    const timed = (port: number, p: string, headers: Record<string, string>) => () => clients.read(port, p, headers);

    console.error(`[bench] replay: ${ROUNDS} rounds of floor and gateway, whole and resumed`);
    const r = await rotate(ROUNDS, {
      floorWhole: timed(floor.port, '/whole', {}),
      whole: timed(gateway.port, path, auth),
      floorResumed: timed(floor.port, '/resumed', {}),
      resumed: timed(gateway.port, path, resumeHeaders),
    });
    // First to last byte is the figure asked for; request to last byte also
    // shows any work a server does before it sends its first byte.
    const firstToLast = (reads: TimedRead[]) => medianed(reads.map((read) => read.firstToLastByteMs));
    const requestToLast = (reads: TimedRead[]) => medianed(reads.map((read) => read.toFirstByteMs + read.firstToLastByteMs));
    const wholeRead = `replay of a finished ${DELTAS.toLocaleString('en-US')}-delta task`;
    const resumedFrom = `the same resumed with Last-Event-ID of frame ${RESUME_AFTER_FRAME}`;
    const target = { kind: 'at-most', value: 50, unit: 'ms' } as const;
    return [
      { what: `${wholeRead}, first to last byte (ms)`, gateway: firstToLast(r.whole), floor: firstToLast(r.floorWhole), target },
      { what: `${wholeRead}, request to last byte (ms)`, gateway: requestToLast(r.whole), floor: requestToLast(r.floorWhole) },
      { what: `${resumedFrom}, first to last byte (ms)`, gateway: firstToLast(r.resumed), floor: firstToLast(r.floorResumed), target },
      { what: `${resumedFrom}, request to last byte (ms)`, gateway: requestToLast(r.resumed), floor: requestToLast(r.floorResumed) },
    ];
  } finally {
    await gateway.stop();
    await floor?.stop();
  }
}
