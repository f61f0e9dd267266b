import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * SSRF guard for outgoing webhook connections.
 *
 * The check happens at connect time, inside the socket's `lookup`: the hostname is resolved,
 * every resolved address is checked, and the socket connects to a checked address (the
 * address is pinned: there is no second resolution a DNS-rebinding server could answer
 * differently). IP-literal hosts never go through `lookup`, so `checkLiteralHost` must be
 * called for them before connecting (the transport does).
 *
 * IPv4-mapped (`::ffff:a.b.c.d`, also in hex form), IPv4-compatible (`::a.b.c.d`) and NAT64
 * (`64:ff9b::/96`) IPv6 addresses are judged by the IPv4 address they carry.
 */

const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
];

const blocked = new BlockList();
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6');

/** Expands an IPv6 address into its eight 16-bit groups; undefined when it is not IPv6. */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.split('%')[0] ?? address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const octets = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((octets[0]! << 8) | octets[1]!).toString(16)}:${((octets[2]! << 8) | octets[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...(tail === undefined ? [] : Array<string>(missing).fill('0')), ...tailGroups];
  return groups.map((g) => parseInt(g, 16));
}

export interface NormalizedAddress {
  address: string;
  family: 4 | 6;
}

/** Reduces IPv6 forms that carry an IPv4 address to that IPv4 address. */
export function normalizeAddress(address: string): NormalizedAddress | undefined {
  const version = isIP(address);
  if (version === 4) return { address, family: 4 };
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number): boolean => groups.slice(from, to).every((g) => g === 0);
  const [g6 = 0, g7 = 0] = [groups[6], groups[7]];
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated)
  if (zeros(0, 5) && groups[5] === 0xffff) return { address: v4(g6, g7), family: 4 };
  if (zeros(0, 4) && groups[4] === 0xffff && groups[5] === 0) return { address: v4(g6, g7), family: 4 };
  // ::a.b.c.d (compatible), except :: and ::1
  if (zeros(0, 6) && (g6 !== 0 || g7 > 1)) return { address: v4(g6, g7), family: 4 };
  // 64:ff9b::/96 (NAT64)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return { address: v4(g6, g7), family: 4 };
  return { address: groups.map((g) => g.toString(16)).join(':'), family: 6 };
}

/** True for loopback, private, link-local, CGNAT, unspecified, multicast and reserved ranges. */
export function isPrivateAddress(address: string): boolean {
  const normalized = normalizeAddress(address);
  if (!normalized) return true;
  return blocked.check(normalized.address, normalized.family === 4 ? 'ipv4' : 'ipv6');
}

export interface EgressAllowList {
  /** CIDRs (e.g. `127.0.0.0/8`, `fd00::/8`) whose addresses may be reached even though private. */
  cidrs?: string[];
  /** Hostnames whose resolved addresses are not checked (exact, case-insensitive). */
  hosts?: string[];
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

export class SsrfBlockedError extends Error {
  readonly code = 'ESSRFBLOCKED';
  constructor(readonly host: string, readonly addresses: string[]) {
    super(`refused to connect to ${host}: ${addresses.join(', ') || 'no address'} is a private or reserved address`);
    this.name = 'SsrfBlockedError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export class EgressGuard {
  private readonly allowedCidrs = new BlockList();
  private readonly allowedHosts: Set<string>;

  constructor(allowList: EgressAllowList = {}, private readonly resolver: Resolver = systemResolver) {
    for (const cidr of allowList.cidrs ?? []) {
      const [net = '', prefixText] = cidr.split('/');
      const normalized = normalizeAddress(net);
      if (!normalized) throw new Error(`invalid CIDR in allow-list: ${cidr}`);
      const max = normalized.family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`invalid CIDR in allow-list: ${cidr}`);
      this.allowedCidrs.addSubnet(normalized.address, prefix, normalized.family === 4 ? 'ipv4' : 'ipv6');
    }
    this.allowedHosts = new Set((allowList.hosts ?? []).map((h) => h.toLowerCase()));
  }

  /** Whether a connection to `address` (reached through `host`) is permitted. */
  isAllowed(address: string, host?: string): boolean {
    if (host !== undefined && this.allowedHosts.has(host.toLowerCase())) return true;
    const normalized = normalizeAddress(address);
    if (!normalized) return false;
    if (this.allowedCidrs.check(normalized.address, normalized.family === 4 ? 'ipv4' : 'ipv6')) return true;
    return !isPrivateAddress(normalized.address);
  }

  /** For an IP-literal URL host (which bypasses `lookup`): an error when it is refused. */
  checkLiteralHost(host: string): SsrfBlockedError | undefined {
    const bare = host.replace(/^\[|\]$/g, '');
    if (isIP(bare) === 0) return undefined;
    return this.isAllowed(bare, host) ? undefined : new SsrfBlockedError(host, [bare]);
  }

  /**
   * A `lookup` for `http.request` / `net.connect`: resolves, drops refused addresses, and
   * answers only with checked, normalized addresses (pinned for this connection).
   */
  readonly lookup = (hostname: string, options: LookupOptions | number | undefined, callback: LookupCallback): void => {
    const wantAll = typeof options === 'object' && options !== null && options.all === true;
    const family = typeof options === 'number' ? options : (options?.family ?? 0);
    this.resolver(hostname).then(
      (addresses) => {
        const permitted: LookupAddress[] = [];
        for (const entry of addresses) {
          const normalized = normalizeAddress(entry.address);
          if (!normalized || !this.isAllowed(entry.address, hostname)) continue;
          if (family === 4 || family === 6) {
            if (normalized.family !== family) continue;
          }
          if (!permitted.some((p) => p.address === normalized.address)) permitted.push(normalized);
        }
        if (permitted.length === 0) {
          callback(new SsrfBlockedError(hostname, addresses.map((a) => a.address)), wantAll ? [] : '', undefined);
          return;
        }
        if (wantAll) callback(null, permitted);
        else callback(null, permitted[0]!.address, permitted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, wantAll ? [] : '', undefined),
    );
  };
}
