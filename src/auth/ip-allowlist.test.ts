import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { compileAllowlist, ipAllowed, ipRuleProblem } from './ip-allowlist.js';
import { hashApiKey } from './api-key.js';

const list = compileAllowlist(['10.0.0.0/8', '2001:db8::/32', '203.0.113.7']);

describe('key address allowlists', () => {
  it('matches IPv4 CIDRs and single addresses, and nothing next to them', () => {
    expect(ipAllowed(list, '10.0.0.0')).toBe(true);
    expect(ipAllowed(list, '10.255.255.255')).toBe(true);
    expect(ipAllowed(list, '11.0.0.0')).toBe(false);
    expect(ipAllowed(list, '9.255.255.255')).toBe(false);
    expect(ipAllowed(list, '203.0.113.7')).toBe(true);
    expect(ipAllowed(list, '203.0.113.6')).toBe(false);
    expect(ipAllowed(list, '203.0.113.8')).toBe(false);
  });

  it('matches IPv6 CIDRs, in any spelling of the address', () => {
    expect(ipAllowed(list, '2001:db8::1')).toBe(true);
    expect(ipAllowed(list, '2001:0db8:ffff:0000:0000:0000:0000:0001')).toBe(true);
    expect(ipAllowed(list, '2001:db9::1')).toBe(false);
    expect(ipAllowed(list, '::1')).toBe(false);
    const single = compileAllowlist(['2001:db8::7']);
    expect(ipAllowed(single, '2001:db8:0:0:0:0:0:7')).toBe(true);
    expect(ipAllowed(single, '2001:db8::8')).toBe(false);
    // A link-local client's zone is not part of the address the rules name.
    expect(ipAllowed(compileAllowlist(['fe80::/10']), 'fe80::1%eth0')).toBe(true);
  });

  it('an IPv4-mapped IPv6 client matches the IPv4 rules', () => {
    expect(ipAllowed(list, '::ffff:10.1.2.3')).toBe(true);
    expect(ipAllowed(list, '::FFFF:203.0.113.7')).toBe(true);
    expect(ipAllowed(list, '::ffff:11.1.2.3')).toBe(false);
    expect(ipAllowed(list, '::ffff:203.0.113.8')).toBe(false);
  });

  it('an address it cannot read is never allowed', () => {
    expect(ipAllowed(list, '')).toBe(false);
    expect(ipAllowed(list, 'localhost')).toBe(false);
    expect(ipAllowed(list, '10.0.0.256')).toBe(false);
  });

  it('names what is wrong with a bad rule, and leaves one it cannot read out (refusing, not allowing)', () => {
    expect(ipRuleProblem('10.0.0.0/8')).toBeUndefined();
    expect(ipRuleProblem('2001:db8::/32')).toBeUndefined();
    expect(ipRuleProblem('203.0.113.7')).toBeUndefined();
    expect(ipRuleProblem('10.0.0.0/33')).toBe('"10.0.0.0/33": an IPv4 prefix length is at most 32');
    expect(ipRuleProblem('2001:db8::/129')).toBe(
      '"2001:db8::/129": an IPv6 prefix length is at most 128',
    );
    for (const bad of ['10.0.0/8', '10.0.0.0/', '10.0.0.0/8/8', '10.0.0.0/-1', 'example.com', ''])
      expect(ipRuleProblem(bad)).toMatch(/is not an IP address or CIDR/);
    const lenient = compileAllowlist(['10.0.0.0/33', 'nonsense']);
    expect(ipAllowed(lenient, '10.0.0.1')).toBe(false);
  });

  it('a bad rule in the config is an error at its path', () => {
    const input = (allowedIps: string[]) => ({
      auth: {
        mode: 'keys',
        keys: [{ id: 'k', hash: hashApiKey('mr-x'), tenant: 't', allowedIps }],
      },
      deployments: [
        {
          name: 'a',
          provider: 'simulated',
          model: 'a',
          prices: { inputPer1M: 1, outputPer1M: 2 },
          contextWindow: 1000,
          maxOutputTokens: 100,
        },
      ],
    });
    expect(parseConfig(input(['10.0.0.0/8', '::1']), {}).config.auth.keys[0]?.allowedIps).toEqual([
      '10.0.0.0/8',
      '::1',
    ]);
    expect(() => parseConfig(input(['10.0.0.0/8', '10.0.0.0/40']), {})).toThrow(
      'auth.keys[0].allowedIps[1]: "10.0.0.0/40": an IPv4 prefix length is at most 32',
    );
    expect(() => parseConfig(input([]), {})).toThrow('auth.keys[0].allowedIps');
  });
});
