/**
 * The splitter that takes `<tool_call>` blocks out of streamed answer text,
 * and the reading of a block as a call: wherever the chunks are cut, the
 * same text and the same calls come out, and text is held back only while
 * it may still be the start of an opening tag.
 */
import { describe, expect, it } from 'vitest';
import { InlineToolCallSplitter, readInlineCall, type InlinePiece } from '../../src/executors/openai/inline-tool-calls.js';

function split(chunks: string[]): { text: string; calls: { body: string; closed: boolean }[]; pieces: InlinePiece[] } {
  const splitter = new InlineToolCallSplitter();
  const pieces = [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
  return {
    text: pieces.map((p) => (p.kind === 'text' ? p.text : '')).join(''),
    calls: pieces.filter((p) => p.kind === 'call').map(({ body, closed }) => ({ body, closed })),
    pieces,
  };
}

/** Every way of cutting `text` into two and into three chunks. */
function everyCut(text: string): string[][] {
  const out: string[][] = [];
  for (let i = 1; i < text.length; i++) {
    out.push([text.slice(0, i), text.slice(i)]);
    for (let j = i + 1; j < text.length; j++) out.push([text.slice(0, i), text.slice(i, j), text.slice(j)]);
  }
  return out;
}

const BODY = '{"name": "current_time", "arguments": {"timezone": "UTC"}}';

describe('InlineToolCallSplitter', () => {
  it('takes one block out from between text, however the chunks are cut', () => {
    const whole = `Let me check. <tool_call>${BODY}</tool_call> Done.`;
    for (const chunks of everyCut(whole)) {
      const { text, calls } = split(chunks);
      expect({ chunks, text, calls }).toEqual({ chunks, text: 'Let me check. Done.', calls: [{ body: BODY, closed: true }] });
    }
  });

  it('finds two blocks, and drops the whitespace that only separates them', () => {
    const second = '{"name": "calculator", "arguments": {"expression": "2+2"}}';
    const whole = `<tool_call>\n${BODY}\n</tool_call>\n<tool_call>\n${second}\n</tool_call>\n`;
    for (const chunks of everyCut(whole)) {
      const { pieces } = split(chunks);
      expect({ chunks, pieces }).toEqual({
        chunks,
        pieces: [
          { kind: 'call', body: `\n${BODY}\n`, closed: true },
          { kind: 'call', body: `\n${second}\n`, closed: true },
        ],
      });
    }
  });

  it('keeps the pieces in order: text, call, text, call, text', () => {
    const { pieces } = split(['A ', '<tool_call>{}</tool_call>', ' B ', '<tool_call>[]</tool_call>', ' C']);
    expect(pieces).toEqual([
      { kind: 'text', text: 'A ' },
      { kind: 'call', body: '{}', closed: true },
      { kind: 'text', text: 'B ' },
      { kind: 'call', body: '[]', closed: true },
      { kind: 'text', text: 'C' },
    ]);
  });

  it('lets a chunk without `<` straight through, at the start and mid-answer', () => {
    const splitter = new InlineToolCallSplitter();
    expect(splitter.push('Hello')).toEqual([{ kind: 'text', text: 'Hello' }]);
    expect(splitter.push(' world, 3 > 2.')).toEqual([{ kind: 'text', text: ' world, 3 > 2.' }]);
    expect(splitter.end()).toEqual([]);
  });

  it('holds back only what could still become `<tool_call>`', () => {
    const splitter = new InlineToolCallSplitter();
    expect(splitter.push('Hi <tool_ca')).toEqual([{ kind: 'text', text: 'Hi ' }]);
    expect(splitter.push('ke> and <b>')).toEqual([{ kind: 'text', text: '<tool_cake> and <b>' }]);
    expect(splitter.push('x <')).toEqual([{ kind: 'text', text: 'x ' }]);
    expect(splitter.push('3')).toEqual([{ kind: 'text', text: '<3' }]);
    expect(splitter.push(' <to')).toEqual([{ kind: 'text', text: ' ' }]);
    // The stream ended: the held prefix was text after all.
    expect(splitter.end()).toEqual([{ kind: 'text', text: '<to' }]);
  });

  it('keeps leading whitespace of an answer that is text, drops it before a block', () => {
    expect(split(['\n', '\nHello']).text).toBe('\n\nHello');
    expect(split(['\n', '\n<tool_call>{}</tool_call>']).pieces).toEqual([{ kind: 'call', body: '{}', closed: true }]);
    expect(split(['   ']).pieces).toEqual([]);
  });

  it('gives a block still open at the end of the stream as an unclosed call, never as text', () => {
    expect(split(['Sure. <tool_call>{"name": "calc', 'ulator"']).pieces).toEqual([
      { kind: 'text', text: 'Sure. ' },
      { kind: 'call', body: '{"name": "calculator"', closed: false },
    ]);
    expect(split(['<tool_call>']).pieces).toEqual([{ kind: 'call', body: '', closed: false }]);
  });

  it('finds a closing tag cut anywhere across many small chunks of a long block', () => {
    const long = JSON.stringify({ name: 'write', arguments: { text: 'x'.repeat(5000) } });
    const whole = `<tool_call>${long}</tool_call>after`;
    const chunks: string[] = [];
    for (let at = 0; at < whole.length; at += 7) chunks.push(whole.slice(at, at + 7));
    expect(split(chunks).pieces).toEqual([
      { kind: 'call', body: long, closed: true },
      { kind: 'text', text: 'after' },
    ]);
  });

  it('starts afresh after reset', () => {
    const splitter = new InlineToolCallSplitter();
    splitter.push('<tool_call>{"name": ');
    splitter.reset();
    expect([...splitter.push('plain'), ...splitter.end()]).toEqual([{ kind: 'text', text: 'plain' }]);
  });
});

describe('readInlineCall', () => {
  it('reads name and arguments (`parameters` too), arguments as JSON text', () => {
    expect(readInlineCall({ body: `\n${BODY}\n`, closed: true })).toEqual({
      name: 'current_time',
      arguments: '{"timezone":"UTC"}',
    });
    expect(readInlineCall({ body: '{"name": "calculator", "parameters": {"expression": "1+1"}}', closed: true })).toEqual({
      name: 'calculator',
      arguments: '{"expression":"1+1"}',
    });
    expect(readInlineCall({ body: '{"name": "current_time"}', closed: true })).toEqual({ name: 'current_time', arguments: '{}' });
    // Arguments given as JSON text stay text: decoding them is the tool runner's part.
    expect(readInlineCall({ body: '{"name": "calculator", "arguments": "{\\"expression\\": \\"2\\"}"}', closed: true })).toEqual({
      name: 'calculator',
      arguments: '{"expression": "2"}',
    });
  });

  it('runs a complete call whose closing tag never came', () => {
    expect(readInlineCall({ body: BODY, closed: false })).toEqual({ name: 'current_time', arguments: '{"timezone":"UTC"}' });
  });

  it('reports a body that is not JSON as an error, under the tool name when it can be made out', () => {
    expect(readInlineCall({ body: '{"name": "calculator", "arguments": {"expression": 2+2}}', closed: true })).toEqual({
      name: 'calculator',
      arguments: '{"name": "calculator", "arguments": {"expression": 2+2}}',
      error: 'the tool call is not valid JSON: {"name": "calculator", "arguments": {"expression": 2+2}}',
    });
    expect(readInlineCall({ body: 'call the clock', closed: true })).toMatchObject({
      name: 'invalid_tool_call',
      error: expect.stringContaining('not valid JSON'),
    });
  });

  it('reports a block cut off before its closing tag, and JSON that names no tool', () => {
    expect(readInlineCall({ body: '{"name": "calculator", "argu', closed: false })).toMatchObject({
      name: 'calculator',
      error: 'the tool call was cut off before </tool_call>: {"name": "calculator", "argu',
    });
    for (const body of ['[]', '{"arguments": {}}', '{"name": 3}', '"calculator"']) {
      expect(readInlineCall({ body, closed: true })).toMatchObject({ name: 'invalid_tool_call', error: expect.stringContaining('names no tool') });
    }
  });
});
