/**
 * `GET /api/local/sessions/:id/stream` as the OpenBee web client uses it: a
 * real EventSource opened with `?token=`, frames without event names, one
 * complete bee reply each, replies produced by the demo agent on a real
 * (local) OpenAI-compatible server. Reconnects: by the EventSource itself
 * (with `Last-Event-ID`) and the web client's own (close, refetch the
 * messages, new EventSource without `Last-Event-ID`): each reply exactly once.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rememberSeen } from '../../src/dialects/openbee/stream.js';
import { userKey } from '../../src/engine/directory.js';
import { UserJwts } from '../../src/http/user-jwts.js';
import { AUDIENCE } from '../../src/dialects/openbee/tokens.js';
import type { RawConfig, TestGateway } from '../support/gateway.js';
import { startOpenAIServer, textReply, type OpenAIServer } from '../support/openai-server.js';
import { startRedis, type RedisServer } from '../support/redis-server.js';
import { loggedIn, startBeeGateway, type BeeClient } from './client.js';
import { CookieJar, TestStream, closeAll, reply, within } from './stream-client.js';
import { eventually, newSession, sendMessage, storedReplies, streamUrl, untilStored } from './stream-steps.js';

/**
 * Streams also read again every heartbeat interval (the catch-up for lost
 * announcements); here that is far beyond every wait, so replies can only
 * arrive through the announcements. The idle and deleted-session tests run
 * on a gateway of the tests' usual 1 s beat.
 */
const SLOW_BEAT = { configure: (raw: RawConfig) => void (raw.server.heartbeat_ms = 60_000) };

let model: OpenAIServer;
let gw: TestGateway & { api: string };
let beating: TestGateway & { api: string };
let alice: BeeClient;
let bob: BeeClient;
beforeAll(async () => {
  model = await startOpenAIServer();
  gw = await startBeeGateway({ modelUrl: model.url, ...SLOW_BEAT });
  beating = await startBeeGateway({ modelUrl: model.url });
  alice = await loggedIn(gw.api, 'alice');
  bob = await loggedIn(gw.api, 'bob');
});
afterEach(() => closeAll());
afterAll(async () => {
  await gw?.stop();
  await beating?.stop();
  await model?.close();
});

const aliceStreams = () => gw.gateway.streams.countOf(userKey('demo', 'alice'));

describe('the reply stream', () => {
  it('sends each bee reply as one complete frame: no event name, integer id, sorted compact JSON', async () => {
    const id = await newSession(alice);
    const stream = new TestStream(streamUrl(gw.api, id, alice.accessToken!));
    await stream.opened();
    expect(stream.responses[0]!.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = 'Bonjour, 蜜蜂 🐝 — "quoted" \\ and\na second line';
    model.script([textReply(text, { pieces: 5 })]);
    const before = Date.now();
    await sendMessage(alice, id, 'hello');
    const [frame] = await stream.framesAtLeast(1);
    expect(frame!.type).toBe('message');
    const data = reply(frame!);
    expect(data.content).toBe(text);
    expect(Object.keys(data)).toEqual(['content', 'created_at', 'id']);
    // Compact, and non-ASCII text as is (not \u-escaped).
    expect(frame!.data).toBe(JSON.stringify(data));
    expect(frame!.data).toContain('蜜蜂 🐝');
    expect(data.created_at).toBeGreaterThanOrEqual(before);
    expect(data.created_at).toBeLessThanOrEqual(Date.now());
    expect(typeof data.id).toBe('string');
    // The id is the reply's position in the session: the user's message is 0.
    expect(frame!.lastEventId).toBe('1');

    model.script([textReply('a second answer', { pieces: 3 })]);
    await sendMessage(alice, id, 'again');
    const frames = await stream.framesAtLeast(2);
    // Still two frames: whole replies, not their pieces.
    expect(frames.map((f) => reply(f).content)).toEqual([text, 'a second answer']);
    expect(frames.map((f) => f.lastEventId)).toEqual(['1', '3']);
    expect(await storedReplies(alice, id)).toEqual([text, 'a second answer']);
  });

  it('stays open while idle, with `: ping` heartbeats', async () => {
    const user = await loggedIn(beating.api, 'alice');
    const id = await newSession(user);
    const abort = new AbortController();
    const response = await fetch(streamUrl(beating.api, id, user.accessToken!), { signal: abort.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let seen = '';
    try {
      // The test gateway beats every second.
      await within(5_000, 'a heartbeat', (async () => {
        while (!seen.includes(': ping\n\n')) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended: ${seen}`);
          seen += new TextDecoder().decode(value);
        }
      })());
    } finally {
      abort.abort();
    }
    expect(seen).not.toMatch(/^event:/m);
  });

  it('an EventSource that reconnects by itself (Last-Event-ID) gets exactly the reply it missed', async () => {
    const id = await newSession(alice);
    const stream = new TestStream(streamUrl(gw.api, id, alice.accessToken!));
    await stream.opened();
    model.script([textReply('first reply')]);
    await sendMessage(alice, id, 'one');
    const [first] = await stream.framesAtLeast(1);

    // The connection drops; the EventSource's reconnect is held until the next reply is stored.
    stream.hold();
    stream.cut();
    await eventually('the server to close the stream', () => aliceStreams() === 0, 5_000);
    model.script([textReply('missed reply', { pieces: 4 })]);
    await sendMessage(alice, id, 'two');
    await untilStored(alice, id, 'missed reply');
    stream.release();

    const frames = await stream.framesAtLeast(2);
    expect(stream.requests).toHaveLength(2);
    expect(stream.requests[1]!.headers['Last-Event-ID']).toBe(first!.lastEventId);
    expect(reply(frames[1]!).content).toBe('missed reply');
    // Then live again; nothing came twice.
    model.script([textReply('live again')]);
    await sendMessage(alice, id, 'three');
    await stream.framesAtLeast(3);
    expect(stream.frames.map((f) => reply(f).content)).toEqual(['first reply', 'missed reply', 'live again']);
    expect(stream.frames.map((f) => Number(f.lastEventId))).toEqual([1, 3, 5]);
  });

  it("the web client's reconnect (GET messages, then a new EventSource without Last-Event-ID) gets every reply exactly once", async () => {
    const id = await newSession(alice);
    const jar = new CookieJar();
    const url = streamUrl(gw.api, id, alice.accessToken!);
    const first = new TestStream(url, jar);
    await first.opened();
    model.script([textReply('alpha reply')]);
    await sendMessage(alice, id, 'alpha');
    await first.framesAtLeast(1);
    first.close();

    // A slow reply (2 s) that finishes after the GET below and before the new stream opens.
    model.script([{ ...textReply('beta reply', { pieces: 5 }), delayMs: 250 }]);
    await sendMessage(alice, id, 'beta');
    const listUrl = `${gw.api}/local/sessions/${id}/messages`;
    const listed = await alice.get(`/local/sessions/${id}/messages`, { headers: { cookie: jar.header(listUrl) } });
    jar.store(listUrl, listed.headers);
    expect(listed.status).toBe(200);
    // The setup this test needs: the GET shows alpha's reply, not yet beta's.
    expect(listed.body.filter((m: { role: string }) => m.role === 'bee').map((m: { content: string }) => m.content)).toEqual(['alpha reply']);
    const seen = jar.get('ob_seen');
    expect(seen?.path).toBe(new URL(listUrl).pathname.replace(/\/messages$/, ''));
    const setCookie = listed.headers.getSetCookie().find((c) => c.startsWith('ob_seen='));
    expect(setCookie).toMatch(/^ob_seen=\d+; Path=\S+; Max-Age=60; HttpOnly; SameSite=Lax$/);
    await untilStored(alice, id, 'beta reply');

    const second = new TestStream(url, jar);
    await second.framesAtLeast(1);
    expect(second.requests[0]!.headers['Last-Event-ID']).toBeUndefined();
    // The stream cleared the cookie, so a later stream does not replay.
    expect(second.responses[0]!.headers.getSetCookie()).toContain(`ob_seen=; Path=${seen!.path}; Max-Age=0; HttpOnly; SameSite=Lax`);
    expect(jar.get('ob_seen')).toBeUndefined();
    model.script([textReply('gamma reply')]);
    await sendMessage(alice, id, 'gamma');
    await second.framesAtLeast(2);
    expect(second.frames.map((f) => reply(f).content)).toEqual(['beta reply', 'gamma reply']);
    second.close();

    // Without a fresh GET, a new stream is live from now.
    const third = new TestStream(url, jar);
    await third.opened();
    model.script([textReply('delta reply')]);
    await sendMessage(alice, id, 'delta');
    await third.framesAtLeast(1);
    expect(third.frames.map((f) => reply(f).content)).toEqual(['delta reply']);
  });

  it('honours a seen cookie only up to the session’s last position', async () => {
    const id = await newSession(alice);
    model.script([textReply('old reply')]);
    await sendMessage(alice, id, 'old');
    await untilStored(alice, id, 'old reply');
    const url = streamUrl(gw.api, id, alice.accessToken!);
    const path = new URL(url).pathname.replace(/\/stream$/, '');

    // -1: the GET showed nothing, so everything is new to the client.
    const all = new CookieJar();
    all.set('ob_seen', '-1', path);
    const replay = new TestStream(url, all);
    await replay.framesAtLeast(1);
    expect(replay.frames.map((f) => reply(f).content)).toEqual(['old reply']);
    replay.close();

    // Beyond the last position (a stale or forged cookie): live from now; so is a malformed one.
    for (const bad of ['2', 'abc']) {
      const jar = new CookieJar();
      jar.set('ob_seen', bad, path);
      const live = new TestStream(url, jar);
      await live.opened();
      model.script([textReply(`after ${bad}`)]);
      await sendMessage(alice, id, bad);
      await live.framesAtLeast(1);
      expect(live.frames.map((f) => reply(f).content)).toEqual([`after ${bad}`]);
      expect(live.responses[0]!.headers.getSetCookie()[0]).toMatch(/^ob_seen=; .*Max-Age=0/);
      live.close();
    }
  });

  it("answers 404 {error} for another user's or an unknown session, before any stream", async () => {
    const id = await newSession(alice);
    const stream = new TestStream(streamUrl(gw.api, id, bob.accessToken!));
    await stream.until('the refusal', () => stream.errors.length > 0);
    expect(stream.errors[0]!.code).toBe(404);
    expect(stream.source.readyState).toBe(stream.source.CLOSED);
    for (const [who, session] of [[bob, id], [alice, 'no-such-session']] as const) {
      const refused = await fetch(streamUrl(gw.api, session, who.accessToken!));
      expect(refused.status).toBe(404);
      expect(await refused.json()).toEqual({ error: 'session not found' });
    }
  });

  it('answers 401 {error} for an invalid or expired token in ?token=', async () => {
    const id = await newSession(alice);
    const expired = await new UserJwts(gw.gateway.engine, AUDIENCE).sign('demo', 'alice', 60, { type: 'access' }, Date.now() - 3_600_000);
    for (const token of ['not-a-token', expired, alice.refreshToken!]) {
      const refused = await fetch(streamUrl(gw.api, id, token));
      expect(refused.status).toBe(401);
      const body = (await refused.json()) as { error: unknown };
      expect(Object.keys(body)).toEqual(['error']);
      expect(typeof body.error).toBe('string');
    }
    const stream = new TestStream(streamUrl(gw.api, id, expired));
    await stream.until('the refusal', () => stream.errors.length > 0);
    expect(stream.errors[0]!.code).toBe(401);
    expect(stream.source.readyState).toBe(stream.source.CLOSED);
  });

  it('ends the stream when its session is deleted', async () => {
    const user = await loggedIn(beating.api, 'alice');
    const id = await newSession(user);
    const stream = new TestStream(streamUrl(beating.api, id, user.accessToken!));
    await stream.opened();
    expect((await user.delete(`/local/sessions/${id}`)).status).toBe(200);
    // Found by the next catch-up read (a delete announces nothing): within a beat.
    await stream.until('the stream to end', () => stream.ended > 0, 5_000);
    // Its reconnect finds the session gone.
    await stream.until('the reconnect to be refused', () => stream.errors.some((e) => e.code === 404), 10_000);
    expect(stream.source.readyState).toBe(stream.source.CLOSED);
  });
});

describe('shutdown', () => {
  it('ends open streams when the gateway stops', async () => {
    const own = await startBeeGateway();
    try {
      const user = await loggedIn(own.api, 'alice');
      const stream = new TestStream(streamUrl(own.api, await newSession(user), user.accessToken!));
      await stream.opened();
      await within(5_000, 'the gateway to stop', own.stop());
      await stream.until('the stream to end', () => stream.ended > 0, 5_000);
      stream.close();
    } finally {
      await own.stop();
    }
  });
});

describe('rememberSeen', () => {
  /** What `rememberSeen` puts on a real Koa response to a request for `path`. */
  async function setCookieFor(path: string, sessionId: string, lastSeq: number): Promise<string[]> {
    const app = new Koa();
    app.use((ctx) => {
      rememberSeen(ctx, sessionId, lastSeq);
      ctx.body = [];
    });
    const server = createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
      await response.arrayBuffer();
      return response.headers.getSetCookie();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("scopes the cookie to the session's path, as the request spelled it", async () => {
    expect(await setCookieFor('/openbee/api/local/sessions/conv_1/messages', 'conv_1', 7)).toEqual([
      'ob_seen=7; Path=/openbee/api/local/sessions/conv_1; Max-Age=60; HttpOnly; SameSite=Lax',
    ]);
    expect(await setCookieFor('/api/local/sessions/a%20b/messages', 'a b', -1)).toEqual([
      'ob_seen=-1; Path=/api/local/sessions/a%20b; Max-Age=60; HttpOnly; SameSite=Lax',
    ]);
  });

  it('sets nothing it cannot scope or that is no position', async () => {
    expect(await setCookieFor('/api/local/sessions/other/messages', 'conv_1', 3)).toEqual([]);
    expect(await setCookieFor('/api/sessions/conv_1/messages', 'conv_1', 3)).toEqual([]);
    expect(await setCookieFor('/api/local/sessions/a;b/messages', 'a;b', 3)).toEqual([]);
    expect(await setCookieFor('/api/local/sessions/conv_1/messages', 'conv_1', -2)).toEqual([]);
    expect(await setCookieFor('/api/local/sessions/conv_1/messages', 'conv_1', 1.5)).toEqual([]);
  });
});

describe('on Redis, two gateways', () => {
  let redis: RedisServer;
  let one: TestGateway & { api: string };
  let two: TestGateway & { api: string };
  let redisModel: OpenAIServer;
  beforeAll(async () => {
    redis = await startRedis();
    redisModel = await startOpenAIServer();
    // The stream's instance never catches up within the test: replies reach it through Redis pub/sub alone.
    one = await startBeeGateway({ store: 'redis', redisUrl: redis.url, modelUrl: redisModel.url, ...SLOW_BEAT });
    two = await startBeeGateway({ store: 'redis', redisUrl: redis.url, modelUrl: redisModel.url });
  });
  afterAll(async () => {
    closeAll();
    await one?.stop();
    await two?.stop();
    await redisModel?.close();
    await redis?.stop();
  });

  it('a stream on one instance gets the replies of runs on the other, in order, once each', async () => {
    const onOne = await loggedIn(one.api, 'alice');
    const id = await newSession(onOne);
    const stream = new TestStream(streamUrl(one.api, id, onOne.accessToken!));
    await stream.opened();
    // The same user's token works on both: they share the store and its signing key.
    const onTwo = await loggedIn(two.api, 'alice');
    redisModel.script([textReply('from the other instance', { pieces: 4 }), textReply('and again')]);
    await sendMessage(onTwo, id, 'hello over there');
    await stream.framesAtLeast(1);
    await sendMessage(onTwo, id, 'once more');
    await stream.framesAtLeast(2);
    expect(stream.frames.map((f) => reply(f).content)).toEqual(['from the other instance', 'and again']);
    expect(stream.frames.map((f) => f.lastEventId)).toEqual(['1', '3']);
    expect(await storedReplies(onOne, id)).toEqual(['from the other instance', 'and again']);
  });
});
