import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const FIFTY_MB = 50 * 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 'x');

/**
 * Sends the head of a 50 MB multipart upload, then its body piece by piece
 * while the server is still listening, and reports how much of the body had
 * been written when the answer came and what the answer was.
 */
function uploadWithoutWaiting(port: number, path: string, authorization?: string): Promise<{ answer: string; sentWhenAnswered: number }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let sentWhenAnswered = -1;
    let answer = '';
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      if (sentWhenAnswered < 0) sentWhenAnswered = sent;
      answer += data.toString('utf8');
    });
    socket.on('close', () => resolve({ answer, sentWhenAnswered }));
    const head = [
      `POST ${path} HTTP/1.1`,
      'Host: 127.0.0.1',
      ...(authorization ? [`Authorization: ${authorization}`] : []),
      'Content-Type: multipart/form-data; boundary=b',
      `Content-Length: ${FIFTY_MB}`,
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n\r\n`);
    const pump = () => {
      while (sentWhenAnswered < 0 && sent < FIFTY_MB && !socket.destroyed) {
        sent += PIECE.length;
        if (!socket.write(PIECE)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}

/** Credentials are checked before a byte of the body is read: a refused upload never reaches the disk. */
describe('credentials before the body', () => {
  let gw: TestGateway;
  const spool = () => join(gw.config.store.data_dir, 'spool');
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(async () => {
    await gw.stop();
  });

  it.each([
    ['Agents v1 without a token', '/api/v1/files/upload', undefined, '{"success":false,"error":"缺少 Bearer Token"}'],
    ['Agents v1 with a wrong token', '/api/v1/files/upload', 'Bearer wrong', '{"success":false,"error":"无效的 Token"}'],
    ['bit-Agent without a token', '/api/v3/openapi/common/file/upload', undefined, '{"code":"401","message":"missing access token","data":null}'],
    ['bit-Agent with a forged user token', '/api/v3/openapi/common/file/upload', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.', '{"code":"401","message":"invalid access token","data":null}'],
  ])('answers a 50 MB upload from %s with its 401 before the body is sent, and writes nothing', async (_label, path, authorization, body) => {
    const { answer, sentWhenAnswered } = await uploadWithoutWaiting(gw.gateway.port(), path, authorization);
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.endsWith(body)).toBe(true);
    // The answer came while almost all of the body was still unsent, and the connection was closed.
    expect(sentWhenAnswered).toBeGreaterThanOrEqual(0);
    expect(sentWhenAnswered).toBeLessThan(FIFTY_MB / 4);
    expect(await readdir(spool())).toEqual([]);
    expect(existsSync(join(gw.config.store.data_dir, 'files'))).toBe(false);
  });

  it('does not parse multipart on a route that does not declare it', async () => {
    const form = new FormData();
    form.append('message', 'hello');
    form.append('file', new Blob(['x'.repeat(10_000)]), 'x.txt');
    const res = await fetch(`${gw.baseUrl}/api/v1/messages`, { method: 'POST', headers: { authorization: 'Bearer demo-token-alice' }, body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { success: boolean }).success).toBe(false);
    expect(await readdir(spool())).toEqual([]);
  });
});
