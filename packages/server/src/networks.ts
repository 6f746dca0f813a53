/** IP networks: the YooKassa sender allowlist and the client address behind TRUSTED_PROXIES share them. */
import { BlockList, isIP } from 'node:net';

/** IPv4 peers on a dual-stack socket arrive as ::ffff:a.b.c.d. */
export function normaliseAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4 ? trimmed.slice(7) : trimmed;
}

/** A network list from "10.0.0.0/8, 127.0.0.1, ::1"; throws naming the first entry that is no IP network. */
export function networkList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const network of cidrs) {
    const [address = '', prefix, ...rest] = network.split('/');
    const family = isIP(address);
    const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
    if (family === 0 || rest.length > 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
      throw new Error(`"${network}" is not an IP address or CIDR network`);
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** Whether a (normalised) address lies in one of the list's networks; false for anything that is no IP. */
export function contains(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address. The socket's peer, unless the peer is one of our own reverse proxies
 * (TRUSTED_PROXIES): then X-Forwarded-For is read from the right, past every trusted hop, to the
 * first address a trusted proxy saw connect. Whatever a client writes into the header itself
 * sits to the left of that and is never believed; an untrusted peer's header is ignored whole.
 */
export function clientAddress(peer: string, forwardedFor: string | undefined, trusted: BlockList | null): string {
  let client = normaliseAddress(peer);
  if (!trusted || !forwardedFor || !contains(trusted, client)) return client;
  const hops = forwardedFor.split(',').map(normaliseAddress);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!contains(trusted, hop)) return hop;
  }
  return client;
}
