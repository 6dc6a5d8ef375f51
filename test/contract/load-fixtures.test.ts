import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureError, loadFixtureFile, loadFixtures, parseFixture } from '../../src/contract/index.js';

/** The issues a fixture text is refused with, as `path: message` lines. */
function refusal(yaml: string): string[] {
  try {
    parseFixture(yaml, 'bad.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(FixtureError);
    return (error as FixtureError).issues.map((issue) => {
      expect(issue.file).toBe('bad.yaml');
      return `${issue.path}: ${issue.message}`;
    });
  }
  throw new Error('the fixture was accepted');
}

const step = (body: string): string => `name: s\nsteps:\n  - name: one\n${body}`;

describe('parseFixture', () => {
  it('fills defaults and keeps the file', () => {
    const scenario = parseFixture(step('    request: {path: /x}\n'), 'ok.yaml');
    expect(scenario).toEqual({ name: 's', vars: {}, file: 'ok.yaml', steps: [{ name: 'one', request: { method: 'GET', path: '/x' } }] });
  });

  it('refuses YAML syntax errors and duplicate keys with their line', () => {
    const [syntax] = refusal('name: [unclosed\n');
    expect(syntax).toMatch(/^line \d+, column \d+: YAML: /);
    const [duplicate] = refusal('name: a\nname: b\nsteps: []\n');
    expect(duplicate).toMatch(/^line 2, column 1: YAML: .*unique/i);
  });

  it('refuses a document that is not a scenario', () => {
    expect(refusal('- just\n- a list\n')).toEqual([': must be a mapping, got a list']);
    expect(refusal('description: x\n')).toEqual(['name: is required', 'steps: must be a non-empty list of steps']);
    expect(refusal('name: x\nsteps: []\nextra: 1\n')).toEqual([
      'extra: unknown key (allowed: name, description, vars, steps)',
      'steps: must be a non-empty list of steps',
    ]);
    expect(refusal('name: x\nvars: {1st: a}\nsteps: [{name: a, request: {path: /}}]\n')).toEqual([
      'vars["1st"]: variable names use letters, digits and _ and do not start with a digit',
    ]);
  });

  it('names the exact key of a bad step', () => {
    expect(refusal(step('    request: {path: /x}\n    expcet: {status: 200}\n'))).toEqual([
      'steps[0].expcet: unknown key (allowed: name, request, expect, repeat_until)',
    ]);
    expect(refusal(step('    request: {method: FETCH, path: x}\n'))).toEqual([
      'steps[0].request.method: must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS',
      'steps[0].request.path: must start with / (or be an absolute http(s) URL)',
    ]);
    expect(refusal(step('    request: {path: /x, json: {}, body: y}\n'))).toEqual([
      'steps[0].request: holds json and body: a request has at most one body',
    ]);
    expect(refusal(step('    request: {path: /x, multipart: {f: {filename: a.txt}}}\n'))).toEqual([
      'steps[0].request.multipart.f: needs exactly one of content and content_base64',
    ]);
    expect(refusal(step('    request: {path: /x, headers: {X-A: [1]}}\n'))).toEqual([
      'steps[0].request.headers.X-A: must be a string, number or boolean',
    ]);
    expect(refusal(step('    request: {path: "/x/${ id }"}\n'))).toEqual([
      'steps[0].request.path: malformed variable reference in "/x/${ id }": use ${name} (letters, digits, _), or $${ for a literal',
    ]);
  });

  it('refuses matchers it does not know or that are malformed', () => {
    const expectJson = (json: string): string[] => refusal(step(`    request: {path: /x}\n    expect:\n      json: ${json}\n`));
    expect(expectJson('{id: {$tpye: string}}')[0]).toMatch(/^steps\[0\]\.expect\.json\.id\.\$tpye: unknown matcher operator \$tpye /);
    expect(expectJson('{id: {$type: text}}')).toEqual([
      'steps[0].expect.json.id.$type: must be one of string, number, integer, boolean, object, array, null (or a list of them)',
    ]);
    expect(expectJson('{id: {$regex: "("}}')[0]).toMatch(/^steps\[0\]\.expect\.json\.id\.\$regex: invalid regular expression: /);
    expect(expectJson('{id: {$capture: "task id"}}')).toEqual([
      'steps[0].expect.json.id.$capture: must be a variable name (letters, digits, _; not starting with a digit)',
    ]);
    expect(expectJson('{a: {$type: string, b: 1}}')).toEqual([
      'steps[0].expect.json.a.$type: $type cannot sit beside plain keys (b): nest the object under $match',
    ]);
    expect(expectJson('{id: $uuid4}')).toEqual([
      'steps[0].expect.json.id: unknown shorthand $uuid4: bare shorthands are $any, $uuid, $timestamp (write {$eq: "$uuid4"} for the literal text)',
    ]);
    expect(expectJson('{a: {$absent: true, $type: string}}')).toEqual([
      'steps[0].expect.json.a.$absent: $absent: true cannot be combined with other operators',
    ]);
    expect(expectJson('{a: {$gte: "1"}, b: {$length: -1}, c: {$any: 1}, d: {$not: {$foo: 1}}}')).toEqual([
      'steps[0].expect.json.a.$gte: must be a number',
      'steps[0].expect.json.b.$length: must be a non-negative integer or a matcher',
      'steps[0].expect.json.c.$any: must be true',
      expect.stringMatching(/^steps\[0\]\.expect\.json\.d\.\$not\.\$foo: unknown matcher operator/),
    ]);
  });

  it('refuses contradictory stream and polling settings', () => {
    expect(refusal(step('    request: {path: /x}\n    expect:\n      json: {}\n      stream: {frames: []}\n'))).toEqual([
      'steps[0].expect.stream: cannot be combined with json or text: the body is read as frames',
    ]);
    expect(refusal(step('    request: {path: /x}\n    expect:\n      stream: {until: {a: 1}, complete: true, format: sse2}\n'))).toEqual([
      'steps[0].expect.stream.format: must be sse or ndjson',
      'steps[0].expect.stream.until: reading stops at `until`, so `complete: true` cannot be checked: use one of them',
    ]);
    expect(refusal(step('    request: {path: /x}\n    expect: {stream: {frames: [{a: 1}]}}\n    repeat_until: {status: 200}\n'))).toEqual([
      'steps[0].repeat_until: cannot poll a streamed response (expect.stream)',
    ]);
    expect(refusal(step('    request: {path: /x}\n    repeat_until: {max: 0}\n'))).toEqual([
      'steps[0].repeat_until: needs a condition: status, headers, json or text',
      'steps[0].repeat_until.max: must be an integer >= 1',
    ]);
    expect(refusal(step('    request: {path: /x}\n    expect: {headers: {X-A: 1, x-a: 2}}\n'))).toEqual([
      'steps[0].expect.headers.x-a: is listed twice (header names are case-insensitive)',
    ]);
  });
});

describe('loading files', () => {
  let dir: string;
  const valid = (name: string): string => `name: ${name}\nsteps: [{name: ping, request: {path: /}}]\n`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'contract-fixtures-'));
    await mkdir(path.join(dir, 'sage'));
    await mkdir(path.join(dir, '_private'));
    await mkdir(path.join(dir, 'broken'));
    await writeFile(path.join(dir, 'b.yaml'), valid('b'));
    await writeFile(path.join(dir, 'a.yml'), valid('a'));
    await writeFile(path.join(dir, 'notes.md'), '# not a fixture');
    await writeFile(path.join(dir, 'sage', 'c.yaml'), valid('c'));
    await writeFile(path.join(dir, '_private', 'd.yaml'), valid('d'));
    await writeFile(path.join(dir, 'broken', 'x.yaml'), 'name: x\nsteps: [{name: a, request: {path: /, method: GET}, expect: {status: {$oops: 1}}}]\n');
    await writeFile(path.join(dir, 'broken', 'y.yaml'), 'name: y\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('walks directories recursively, sorted, skipping _folders and non-YAML files', async () => {
    const scenarios = await loadFixtures([path.join(dir, 'sage'), path.join(dir, 'b.yaml'), path.join(dir, 'a.yml')]);
    expect(scenarios.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(scenarios[0]?.file).toBe(path.join(dir, 'a.yml'));
    const privateOnes = await loadFixtures([path.join(dir, '_private')]);
    expect(privateOnes.map((s) => s.name)).toEqual(['d']);
  });

  it('lists every invalid file with its path in one error', async () => {
    const error = await loadFixtures([dir]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FixtureError);
    const message = (error as FixtureError).message;
    expect(message).toContain(`${path.join(dir, 'broken', 'x.yaml')}: steps[0].expect.status.$oops: unknown matcher operator $oops`);
    expect(message).toContain(`${path.join(dir, 'broken', 'y.yaml')}: steps: must be a non-empty list of steps`);
  });

  it('names a path that does not exist', async () => {
    await expect(loadFixtures([path.join(dir, 'nope')])).rejects.toThrow(`${path.join(dir, 'nope')}: no such file or directory`);
    await expect(loadFixtureFile(path.join(dir, 'nope.yaml'))).rejects.toThrow(/nope\.yaml: cannot read: /);
  });
});
