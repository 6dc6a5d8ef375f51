/**
 * A listing kept in memory with the ordering rules of a Redis sorted set:
 * by score, then by member in byte order (UTF-8), so both stores page alike.
 */
export class SortedIndex {
  private readonly scores = new Map<string, number>();
  /** Entries in ascending (score, member) order. */
  private readonly order: Array<{ member: string; score: number }> = [];

  get size(): number {
    return this.order.length;
  }

  /** Adds `member`, or moves it to `score` when present. */
  add(member: string, score: number): void {
    this.remove(member);
    this.scores.set(member, score);
    this.order.splice(this.position(member, score), 0, { member, score });
  }

  remove(member: string): void {
    const score = this.scores.get(member);
    if (score === undefined) return;
    this.scores.delete(member);
    this.order.splice(this.position(member, score), 1);
  }

  /** Members at ranks `offset … offset + limit - 1`, ascending or descending. */
  range(offset: number, limit: number, reverse: boolean): string[] {
    if (limit <= 0) return [];
    const start = Math.max(0, Math.floor(offset));
    if (!reverse) return this.order.slice(start, start + limit).map((e) => e.member);
    const end = this.order.length - start;
    return this.order
      .slice(Math.max(0, end - limit), Math.max(0, end))
      .reverse()
      .map((e) => e.member);
  }

  /** Members with score ≤ `maxScore`, ascending, at most `limit`. */
  upTo(maxScore: number, limit: number): string[] {
    const out: string[] = [];
    for (const entry of this.order) {
      if (out.length >= limit || entry.score > maxScore) break;
      out.push(entry.member);
    }
    return out;
  }

  entries(): Array<[string, number]> {
    return this.order.map((e) => [e.member, e.score]);
  }

  /** First index whose entry sorts at or after (score, member). */
  private position(member: string, score: number): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const entry = this.order[mid]!;
      const before = entry.score < score || (entry.score === score && compareMembers(entry.member, member) < 0);
      if (before) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Compares strings in code point order, which is UTF-8 byte order (what Redis
 * uses). Plain `<` compares UTF-16 units and puts U+E000…U+FFFF after the
 * surrogates of astral characters, so those units are shifted first.
 */
export function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}
