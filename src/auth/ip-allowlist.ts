// Client address allowlists for API keys (`auth.keys[].allowedIps`): single addresses and CIDRs,
// IPv4 and IPv6, compiled once per key into a node:net BlockList when keys are loaded, so a request
// with such a key pays one check() and a key without a list pays nothing.
import { BlockList, isIP } from 'node:net';

const PREFIX = /^\d{1,3}$/;
// `::ffff:10.1.2.3`: an IPv4 client on a dual-stack socket; it must match the IPv4 rules.
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** What is wrong with `rule` as an address or CIDR, in words for the operator; undefined if fine. */
export function ipRuleProblem(rule: string): string | undefined {
  const slash = rule.indexOf('/');
  const address = slash < 0 ? rule : rule.slice(0, slash);
  const family = address.includes('%') ? 0 : isIP(address);
  if (family === 0 || (slash >= 0 && !PREFIX.test(rule.slice(slash + 1))))
    return `"${rule}" is not an IP address or CIDR: write e.g. 203.0.113.7, 10.0.0.0/8 or 2001:db8::/32`;
  const max = family === 4 ? 32 : 128;
  if (slash >= 0 && Number(rule.slice(slash + 1)) > max)
    return `"${rule}": an IPv${family} prefix length is at most ${max}`;
  return undefined;
}

/**
 * The BlockList of `rules` (checked with ipRuleProblem where they came in). A rule it cannot read
 * (a tampered shared-state entry) is left out, so such a key is refused rather than let in.
 */
export function compileAllowlist(rules: readonly string[]): BlockList {
  const list = new BlockList();
  for (const rule of rules) {
    if (ipRuleProblem(rule)) continue;
    const [address, prefix] = rule.split('/') as [string, string | undefined];
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list;
}

/** True when the client address `ip` (as `request.ip` gives it) is inside `list`. */
export function ipAllowed(list: BlockList, ip: string): boolean {
  const zone = ip.indexOf('%'); // a link-local address's zone (`fe80::1%eth0`) is not a rule's
  const address = zone < 0 ? ip : ip.slice(0, zone);
  const mapped = MAPPED_V4.exec(address);
  if (mapped && list.check(mapped[1]!, 'ipv4')) return true;
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}
