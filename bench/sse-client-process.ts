import { exitWithParent, replyToParent } from './bench-child.js';
import type { FinishedStreams, SseClientRequest } from './sse-clients.js';
import { timedRead } from './sse-read.js';
import { HeldStreams } from './sse-streams.js';

/**
 * Child process: the SSE clients of every stream case (see SseClients). One
 * request at a time, answered over IPC; the held streams live until `close`.
 */

const streams = new HeldStreams();

async function handle(request: SseClientRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'open':
      return streams.open(request.port, request.paths, request.headers, request.record);
    case 'counts':
      return streams.counts();
    case 'sample':
      return streams.sampleFrames();
    case 'finish': {
      await streams.allDone(request.timeoutMs);
      return { spreads: streams.spreads(request.from), frames: streams.sampleFrames() } satisfies FinishedStreams;
    }
    case 'close':
      streams.closeAll();
      return null;
    case 'read':
      return timedRead(request.port, request.path, request.headers, request.keepBody);
    case 'stop':
      streams.closeAll();
      setImmediate(() => process.disconnect());
      return null;
  }
}

exitWithParent();
process.on('message', (request: SseClientRequest) => {
  handle(request).then(
    (value) => replyToParent({ ok: true, value }),
    (error: unknown) => replyToParent({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
