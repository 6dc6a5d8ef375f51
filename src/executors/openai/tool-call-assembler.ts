/**
 * Rebuilds tool calls from streamed deltas. Servers disagree on the keys:
 * `index` may be missing or 0 for every parallel call, `id` may be repeated
 * in every chunk or sent only once, the first chunk may carry a null name or
 * arguments, and argument pieces are sometimes sent twice. Deltas are matched
 * by index, then id, then their position in the chunk.
 */
export interface AssembledToolCall {
  /** The model's id, or one made here when the model sent none. */
  id: string;
  name: string;
  /** The arguments' JSON text (repaired when a server duplicated pieces); may still be invalid JSON. */
  arguments: string;
  /** Why the call cannot run whatever its arguments (an inline block that is not a JSON call); reported as its failure. */
  error?: string;
}

interface Draft {
  /** The delta's `index`, or its position in the chunk when the index is missing. */
  index: number;
  id?: string;
  name: string;
  pieces: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  // Some servers send the arguments as an object rather than its JSON text.
  return isObject(value) || Array.isArray(value) ? JSON.stringify(value) : '';
}

function isJson(textValue: string): boolean {
  try {
    JSON.parse(textValue);
    return true;
  } catch {
    return false;
  }
}

export class ToolCallAssembler {
  private readonly drafts: Draft[] = [];

  /** Whether any tool call delta arrived in this turn. */
  get size(): number {
    return this.drafts.length;
  }

  /** Takes a delta's `tool_calls` array (non-streamed messages' arrays work too). */
  add(toolCalls: unknown): void {
    if (!Array.isArray(toolCalls)) return;
    toolCalls.forEach((delta: unknown, position) => {
      if (!isObject(delta)) return;
      const fn = isObject(delta.function) ? delta.function : {};
      this.merge(
        typeof delta.index === 'number' ? delta.index : position,
        typeof delta.id === 'string' && delta.id ? delta.id : undefined,
        typeof delta.index === 'number',
        text(fn.name),
        text(fn.arguments),
      );
    });
  }

  /** Takes the legacy single `function_call` delta. */
  addFunctionCall(functionCall: unknown): void {
    if (!isObject(functionCall)) return;
    this.merge(0, undefined, false, text(functionCall.name), text(functionCall.arguments));
  }

  /** The calls of the turn in arrival order; nameless drafts are dropped (nothing could answer them). */
  finish(makeId: () => string): AssembledToolCall[] {
    return this.drafts
      .filter((d) => d.name)
      .map((d) => ({ id: d.id ?? makeId(), name: d.name, arguments: joinArguments(d.pieces) }));
  }

  private merge(index: number, id: string | undefined, explicitIndex: boolean, name: string, args: string): void {
    let draft: Draft | undefined;
    if (id) {
      // The same id with a different explicit index is a distinct call (some servers reuse ids).
      draft = this.drafts.find((d) => d.id === id && (!explicitIndex || d.index === index));
      // A first chunk without id, then the id: adopt the latest id-less draft of that index.
      draft ??= this.latest(index, (d) => d.id === undefined && d.pieces.length === 0 && !d.name);
    } else {
      draft = this.latest(index, () => true);
    }
    if (!draft) {
      draft = { index, name: '', pieces: [] };
      this.drafts.push(draft);
    }
    if (id) draft.id ??= id;
    if (name && name !== draft.name) draft.name = draft.name ? draft.name + name : name;
    if (args) draft.pieces.push(args);
  }

  private latest(index: number, test: (d: Draft) => boolean): Draft | undefined {
    for (let i = this.drafts.length - 1; i >= 0; i--) {
      const d = this.drafts[i]!;
      if (d.index === index && test(d)) return d;
    }
    return undefined;
  }
}

/**
 * Joins argument pieces. When the plain join is not JSON, tries the repairs
 * for known server faults: a piece sent twice in a row, the whole arguments
 * re-sent in one piece (cumulative or final repeat), or the text doubled.
 */
export function joinArguments(pieces: string[]): string {
  const joined = pieces.join('');
  if (!joined.trim()) return '{}';
  if (isJson(joined)) return joined;
  const deduped = pieces.filter((p, i) => p !== pieces[i - 1]).join('');
  if (isJson(deduped)) return deduped;
  for (let i = pieces.length - 1; i >= 0; i--) {
    const piece = pieces[i]!.trim();
    if (piece.startsWith('{') && isJson(piece)) return piece;
  }
  const half = joined.length / 2;
  if (Number.isInteger(half) && joined.slice(0, half) === joined.slice(half) && isJson(joined.slice(0, half))) {
    return joined.slice(0, half);
  }
  return joined;
}
