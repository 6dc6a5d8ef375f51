import { BlockList, isIP } from 'node:net';
import type Koa from 'koa';

/** The headers a proxy sets about the original request; honoured only from a trusted proxy. */
const FORWARDED = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded'];

/**
 * `server.trust_proxy`: the addresses (or CIDR ranges) of the proxies in
 * front of the gateway. From them `X-Forwarded-*` names the client's
 * protocol, host and address (Koa's `proxy` mode); from anyone else those
 * headers are dropped before anything reads them, so a client cannot make
 * the gateway build its URLs (bit-Agent file links) on a host it chose.
 * Empty (the default): no proxy is trusted and the headers are never read.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly enabled: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(bits), family);
    }
    this.enabled = entries.length > 0;
  }

  trusts(remote: string | undefined): boolean {
    if (!this.enabled || !remote) return false;
    // A dual-stack socket reports IPv4 peers as `::ffff:a.b.c.d`.
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
    return v4 ? this.list.check(v4, 'ipv4') : this.list.check(remote, isIP(remote) === 6 ? 'ipv6' : 'ipv4');
  }

  /** Drops the forwarding headers of a request that did not come through a trusted proxy. */
  middleware(): Koa.Middleware {
    return async (ctx, next) => {
      if (!this.trusts(ctx.req.socket.remoteAddress)) for (const name of FORWARDED) delete ctx.req.headers[name];
      await next();
    };
  }
}

/** A config entry: an IPv4/IPv6 address, optionally `/bits`. */
export function isProxyEntry(entry: string): boolean {
  const [address = '', bits, extra] = entry.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 6 ? 128 : 32);
}
