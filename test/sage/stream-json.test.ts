import { describe, expect, it } from 'vitest';
import { PyFloat, pythonJson } from '../../src/dialects/sage/stream-json.js';

describe('pythonJson: json.dumps(ensure_ascii=False) as Sage writes its lines', () => {
  it("uses Python's separators, keeps key order and writes non-ASCII as is", () => {
    expect(pythonJson({ role: 'assistant', content: '你好 "x"\n\t\\', n: [1, 2, { a: null }] })).toBe(
      String.raw`{"role": "assistant", "content": "你好 \"x\"\n\t\\", "n": [1, 2, {"a": null}]}`,
    );
  });

  it('writes floats as Python does, whole ones with .0', () => {
    expect(pythonJson({ t: new PyFloat(1764745815) })).toBe('{"t": 1764745815.0}');
    expect(pythonJson({ t: new PyFloat(1764745815.123) })).toBe('{"t": 1764745815.123}');
    expect(pythonJson({ i: 3 })).toBe('{"i": 3}');
  });

  it('leaves out undefined fields, escapes control characters as \\u00XX, and writes emoji unescaped', () => {
    expect(pythonJson({ a: undefined, b: '\u0001', c: '😀', d: true })).toBe(String.raw`{"b": "\u0001", "c": "😀", "d": true}`);
  });
});
