import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * `server.trust_proxy`: `X-Forwarded-*` decides the addresses the gateway
 * builds (bit-Agent download links) only when the request comes from a
 * listed proxy; from anyone else it is ignored.
 */
describe('trusted proxies', () => {
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });

  async function downloadUrlWith(trust: string[]): Promise<{ url: string; base: string }> {
    gw = await startTestGateway({ configure: (raw) => (raw.server.trust_proxy = trust) });
    const auth = { authorization: 'Bearer demo-token-alice' };
    const form = new FormData();
    form.append('file', new Blob(['x']), 'p.txt');
    const uploaded = (await (await fetch(`${gw.baseUrl}/api/v3/openapi/common/file/upload`, { method: 'POST', headers: auth, body: form })).json()) as {
      data: { id: string };
    };
    const info = await fetch(`${gw.baseUrl}/api/v3/openapi/common/file/${uploaded.data.id}`, {
      headers: { ...auth, 'x-forwarded-host': 'agents.example.com', 'x-forwarded-proto': 'https' },
    });
    return { url: ((await info.json()) as { data: { url: string } }).data.url, base: gw.baseUrl };
  }

  it('honours the forwarded host and protocol from a listed proxy address', async () => {
    const { url } = await downloadUrlWith(['127.0.0.1']);
    expect(url).toMatch(/^https:\/\/agents\.example\.com\/api\/v3\/openapi\/common\/file\/file_\w+\?download=1$/);
  });

  it('honours them from an address inside a listed range', async () => {
    expect((await downloadUrlWith(['127.0.0.0/8'])).url).toMatch(/^https:\/\/agents\.example\.com\//);
  });

  it('ignores them from an address that is not listed', async () => {
    const { url, base } = await downloadUrlWith(['10.0.0.0/8', '::1']);
    expect(url.startsWith(`${base}/api/v3/openapi/common/file/`)).toBe(true);
  });

  it('refuses a config entry that is not an address or range', async () => {
    await expect(startTestGateway({ configure: (raw) => (raw.server.trust_proxy = ['proxy.internal']) })).rejects.toThrow(
      /server\.trust_proxy\[0\]: "proxy\.internal" is not an IP address or CIDR range/,
    );
  });
});
