import type { Message } from '../../engine/records.js';

/** Messages read per store round trip; a longer backlog (a replay) takes several. */
const PAGE = 100;
/**
 * How long a missing position is waited for before it is given up. Two
 * messages appended at once (an interrupted run's partial answer and the next
 * run's input) can be listed out of order for a moment: the later one is held
 * until the earlier one is listed, so neither is skipped nor sent out of
 * order. A position that stays empty (an append cut short by a store failure)
 * is stepped over after this long, at the next read.
 */
const GAP_MS = 5_000;

export interface FollowerDeps {
  /** Messages of the conversation from index offset `from` (`Conversations.messages`); throws once it is gone. */
  read(from: number, limit: number): Promise<Message[]>;
  /** Handed every message in order (the stream sends the bee replies among them); resolves when the socket takes more. */
  send(message: Message): Promise<void>;
  /** The reads failed (the conversation was deleted, the store is down): the stream must end. */
  fail(error: unknown): void;
}

/**
 * Follows one conversation for one stream: every message from position
 * `start` on, exactly once and in order. Reads run one at a time; a poke
 * during a read makes one more read after it (pokes in between collapse into
 * it), so frames are never doubled or reordered however the announcements
 * interleave.
 *
 * Two cursors: `next` is the position (seq) of the first message not yet
 * handled, `offset` the index offset reads start from. They are equal while
 * every position is filled; `offset` only advances past messages that were
 * handled, so it never passes one that was not, even where a position is
 * missing and the listing's offsets fall behind the positions.
 */
export class ReplyFollower {
  private next: number;
  private offset: number;
  private reading = false;
  private again = false;
  private stopped = false;
  private gap: { seq: number; since: number } | undefined;

  /** `start`: the first position to hand on; `gapMs`: how long a missing position is waited for (see `GAP_MS`). */
  constructor(
    private readonly deps: FollowerDeps,
    start: number,
    private readonly gapMs = GAP_MS,
  ) {
    this.next = start;
    this.offset = start;
  }

  /** Something may be new (an announced position, or none: a catch-up read); reads now or right after the current read. */
  poke(seq?: number): void {
    if (this.stopped || (seq !== undefined && seq < this.next)) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.drain();
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again && !this.stopped);
    } catch (error) {
      if (!this.stopped) {
        this.stopped = true;
        this.deps.fail(error);
      }
    } finally {
      this.reading = false;
    }
  }

  /** Reads and sends everything listed from `offset`, page by page, up to the end or a gap. */
  private async readAll(): Promise<void> {
    for (;;) {
      const batch = await this.deps.read(this.offset, PAGE);
      let handled = 0;
      for (const message of batch) {
        if (this.stopped) return;
        if (message.seq > this.next && !this.gapOver(this.next)) {
          this.offset += handled;
          return;
        }
        if (message.seq >= this.next) {
          this.gap = undefined;
          await this.deps.send(message);
          this.next = message.seq + 1;
        }
        handled++;
      }
      this.offset += handled;
      if (batch.length < PAGE) return;
    }
  }

  /** Whether the position `seq` has been missing long enough to be stepped over. */
  private gapOver(seq: number, now = Date.now()): boolean {
    if (this.gap?.seq !== seq) {
      this.gap = { seq, since: now };
      return false;
    }
    return now - this.gap.since >= this.gapMs;
  }
}

/**
 * One timer for every open stream of the dialect: each `intervalMs` every
 * follower reads again. This is what finds a message whose announcement was
 * lost (store pub/sub is at most once: a Redis reconnect drops what was
 * published meanwhile, and on Redis a listener's SUBSCRIBE is confirmed only
 * after the stream's first read), a conversation deleted under a stream (a
 * delete announces nothing; the read fails and the stream ends), and a
 * position that stayed missing. No timer runs while no stream is open.
 */
export class CatchUp {
  private readonly followers = new Set<ReplyFollower>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs: number) {}

  /** Adds a follower; returns its removal. */
  add(follower: ReplyFollower): () => void {
    this.followers.add(follower);
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const f of this.followers) f.poke();
      }, this.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.followers.delete(follower);
      if (this.followers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }
}
