/**
 * The ordering core of the reply stream (src/dialects/openbee/stream-follower.ts)
 * over a listing the test controls, for what the gateway cannot be made to do
 * on demand: two appends listed out of order for a moment, a position that
 * stays empty, announcements arriving while a read is under way.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/engine/records.js';
import { ReplyFollower } from '../../src/dialects/openbee/stream-follower.js';
import { eventually } from './stream-steps.js';

const message = (seq: number): Message => ({ id: `m${seq}`, conversationId: 'c', role: 'assistant', content: `reply ${seq}`, createdAt: seq, seq });

/** A conversation's listing: messages in index order (by position), read by offset as the store does. */
function listing(...seqs: number[]) {
  const listed = seqs.map(message);
  const reads: number[] = [];
  let slow: Promise<void> | undefined;
  return {
    listed,
    reads,
    /** Makes the next reads wait until the returned function is called. */
    holdReads(): () => void {
      let release = () => undefined as void;
      slow = new Promise((resolve) => (release = resolve));
      return () => {
        slow = undefined;
        release();
      };
    },
    add(seq: number): void {
      listed.push(message(seq));
      listed.sort((a, b) => a.seq - b.seq);
    },
    read: async (from: number, limit: number): Promise<Message[]> => {
      reads.push(from);
      await slow;
      return listed.slice(from, from + limit);
    },
  };
}

function follow(list: ReturnType<typeof listing>, start: number, gapMs?: number) {
  const sent: number[] = [];
  const failures: unknown[] = [];
  const follower = new ReplyFollower(
    { read: list.read, send: async (m) => void sent.push(m.seq), fail: (error) => void failures.push(error) },
    start,
    gapMs,
  );
  return { follower, sent, failures };
}

describe('ReplyFollower', () => {
  it('hands on every message from its start once, in order, across pages', async () => {
    const list = listing(...Array.from({ length: 250 }, (_, i) => i));
    const { follower, sent } = follow(list, 20);
    follower.poke();
    await eventually('the backlog', () => sent.length === 230, 2_000);
    expect(sent).toEqual(Array.from({ length: 230 }, (_, i) => i + 20));
    expect(list.reads).toEqual([20, 120, 220]);
  });

  it('collapses announcements during a read into one more read, never a parallel one', async () => {
    const list = listing(0);
    const { follower, sent } = follow(list, 0);
    const release = list.holdReads();
    follower.poke();
    list.add(1);
    follower.poke(1);
    list.add(2);
    follower.poke(2);
    expect(list.reads).toEqual([0]);
    release();
    await eventually('both reads', () => sent.length === 3, 2_000);
    expect(sent).toEqual([0, 1, 2]);
    // The held read saw all three; the one more read after it starts past them and finds nothing.
    await eventually('the read after it', () => list.reads.length === 2, 2_000);
    expect(list.reads).toEqual([0, 3]);
    // An announcement of a position already handed on reads nothing.
    follower.poke(1);
    expect(list.reads).toEqual([0, 3]);
  });

  it('holds a later message while an earlier position is not listed yet, then sends both in order', async () => {
    const list = listing(0, 2);
    const { follower, sent } = follow(list, 0, 60_000);
    follower.poke();
    await eventually('the first read', () => list.reads.length === 1, 2_000);
    await eventually('the read to finish', () => sent.length === 1, 2_000);
    expect(sent).toEqual([0]);
    list.add(1);
    follower.poke(1);
    await eventually('the rest', () => sent.length === 3, 2_000);
    expect(sent).toEqual([0, 1, 2]);
  });

  it('steps over a position that stays empty, once it has waited long enough', async () => {
    // Position 1 never comes: the listing's offsets fall one behind the positions after it.
    const list = listing(0, 2, 3);
    const { follower, sent } = follow(list, 0, 50);
    follower.poke();
    await eventually('the first read', () => sent.length === 1, 2_000);
    follower.poke();
    expect(sent).toEqual([0]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    follower.poke();
    await eventually('the rest', () => sent.length === 3, 2_000);
    list.add(4);
    follower.poke(4);
    await eventually('the next', () => sent.length === 4, 2_000);
    expect(sent).toEqual([0, 2, 3, 4]);
  });

  it('reports a failed read once and reads no more', async () => {
    let calls = 0;
    const failures: unknown[] = [];
    const follower = new ReplyFollower(
      {
        read: async () => {
          calls++;
          throw new Error('gone');
        },
        send: async () => undefined,
        fail: (error) => void failures.push(error),
      },
      0,
    );
    follower.poke();
    await eventually('the failure', () => failures.length === 1, 2_000);
    follower.poke();
    expect(calls).toBe(1);
    expect((failures[0] as Error).message).toBe('gone');
  });
});
