// Static names the host resolver answers itself: `hostResolver.hosts` plus the two names the host
// agent always adds. A value that is an IP address answers A/AAAA; any other value makes the name
// an alias (CNAME-style) of that value.
import net from "node:net";
import { SLIRP_GATEWAY, SLIRP_IP_ADDRESS } from "../cidata/args.js";
import type { LimaYAML } from "../config/types.js";

/** `hostResolver.hosts`, then `host.lima.internal` and `lima-<name>` (these two win, as in Lima). */
export function hostResolverHosts(instName: string, config: Pick<LimaYAML, "hostResolver">): Record<string, string> {
  return { ...(config.hostResolver?.hosts ?? {}), "host.lima.internal": SLIRP_GATEWAY, [`lima-${instName}`]: SLIRP_IP_ADDRESS };
}

/** DNS names compare case-insensitively and as fully qualified: `Foo.Example` → `foo.example.` */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower : `${lower}.`;
}

export interface HostTable {
  /** Canonical name → IP address. */
  readonly ips: ReadonlyMap<string, string>;
  /** Canonical name → canonical name it is an alias of. */
  readonly aliases: ReadonlyMap<string, string>;
}

/** Whether a value is an IP address (Go's net.ParseIP: no zone index). */
function isPlainIP(value: string): boolean {
  return net.isIP(value) !== 0 && !value.includes("%");
}

export function buildHostTable(staticHosts: Readonly<Record<string, string>>): HostTable {
  const ips = new Map<string, string>();
  const aliases = new Map<string, string>();
  for (const [name, value] of Object.entries(staticHosts)) {
    const key = canonicalName(name);
    if (isPlainIP(value)) ips.set(key, value);
    else aliases.set(key, canonicalName(value));
  }
  return { ips, aliases };
}

/**
 * Follows aliases from `name` (canonicalized) to the last name of the chain; a cycle stops at the
 * first name seen twice, as Lima does.
 */
export function resolveAlias(table: HostTable, name: string): string {
  let current = canonicalName(name);
  const seen = new Set<string>();
  for (let next = table.aliases.get(current); next !== undefined && !seen.has(current); next = table.aliases.get(current)) {
    seen.add(current);
    current = next;
  }
  return current;
}

/** The IPv4 form of an address (`::ffff:a.b.c.d` included, as Go's To4), or undefined. */
export function ipv4Of(ip: string): string | undefined {
  if (net.isIPv4(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] !== undefined && net.isIPv4(mapped[1]) ? mapped[1] : undefined;
}
