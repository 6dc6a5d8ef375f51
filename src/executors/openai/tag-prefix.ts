/**
 * How many characters at the end of `text` could be the start of `tag`
 * (`<`, `<to`, `<tool_ca` for `<tool_call>`). Tags in streamed content may
 * be cut across chunks, so splitters hold exactly this much back and let
 * everything before it through at once.
 */
export function partialTagLength(text: string, tag: string): number {
  let keep = Math.min(tag.length - 1, text.length);
  while (keep > 0 && !text.endsWith(tag.slice(0, keep))) keep--;
  return keep;
}
