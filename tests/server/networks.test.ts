import { describe, expect, it } from 'vitest';
import { clientAddress, networkList } from '../../packages/server/src/networks.js';

const proxies = networkList(['10.0.0.0/8', '127.0.0.1', '::1']);

describe('the client address behind our reverse proxies', () => {
  it('is the socket peer when the peer is no trusted proxy, whatever X-Forwarded-For says', () => {
    expect(clientAddress('198.51.100.7', '203.0.113.9', proxies)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:198.51.100.7', '203.0.113.9', proxies)).toBe('198.51.100.7');
    expect(clientAddress('127.0.0.1', '203.0.113.9', null)).toBe('127.0.0.1');
  });

  it('is the first address from the right that no trusted proxy owns', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9', proxies)).toBe('203.0.113.9');
    expect(clientAddress('::1', '203.0.113.9, 10.1.2.3', proxies)).toBe('203.0.113.9');
    // A client that writes a YooKassa address into the header itself stays to the left of its own.
    expect(clientAddress('127.0.0.1', '185.71.76.1, 198.51.100.7', proxies)).toBe('198.51.100.7');
  });

  it('never believes garbage: an unreadable hop ends the walk at the last address a proxy vouched for', () => {
    expect(clientAddress('127.0.0.1', 'not-an-ip', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '203.0.113.9, bogus', proxies)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', '', proxies)).toBe('127.0.0.1');
  });

  it('refuses a setting that is no IP network', () => {
    for (const bad of ['10.0.0.0/33', 'example.org', '10.0.0.0/8/1', '::1/129', ''])
      expect(() => networkList([bad]), bad).toThrow(/not an IP address or CIDR network/);
  });
});
