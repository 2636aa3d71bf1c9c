// Addresses on a user-v2 network. lima-ts has no DHCP server on the network (Lima's gvisor stack
// has one): the project assigns each NIC a fixed address, remembered by MAC in `leases.json`
// (Lima's file and format, IP -> MAC), and cidata configures it statically in the guest.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { withDirLock } from "../../downloader/lock.js";
import { isErrno, LimaError } from "../../util/errors.js";
import { q } from "../../util/goquote.js";
import { formatIPv4, parseIPv4, type Subnet } from "../ipv4.js";
import { usernetDir, usernetHostsFile, usernetLeasesFile } from "./paths.js";

export type Leases = Record<string, string>;

/** Addresses below this offset in the subnet are the network's own (gateway, host, DNS in Lima's stack). */
const FIRST_GUEST_OFFSET = 3;

function inSubnet(ip: string, subnet: Subnet): boolean {
  const value = parseIPv4(ip);
  return value !== undefined && value >= subnet.base && value < subnet.base + 2 ** (32 - subnet.bits);
}

/** The address of `mac`: its lease when it has one, else the lowest free address (the leases gain it). */
export function assignLease(leases: Readonly<Leases>, mac: string, subnet: Subnet, reserved: readonly string[] = []): { ip: string; leases: Leases } {
  const wanted = mac.toLowerCase();
  const existing = Object.entries(leases).find(([ip, m]) => m.toLowerCase() === wanted && inSubnet(ip, subnet));
  if (existing) return { ip: existing[0], leases: { ...leases } };
  const taken = new Set([...Object.keys(leases), ...reserved]);
  const broadcast = subnet.base + 2 ** (32 - subnet.bits) - 1;
  for (let value = subnet.base + FIRST_GUEST_OFFSET; value < broadcast; value++) {
    const ip = formatIPv4(value);
    if (!taken.has(ip)) return { ip, leases: { ...leases, [ip]: wanted } };
  }
  throw new LimaError(`no free address left in ${formatIPv4(subnet.base)}/${subnet.bits}`);
}

/** The hosts file with `hostname` at `ip`: older lines of the name or the address go. */
export function updateHosts(text: string, ip: string, hostname: string): string {
  const kept = text.split("\n").filter((line) => {
    const [addr, name] = line.trim().split(/\s+/);
    return line.trim() !== "" && addr !== ip && name !== hostname;
  });
  return `${[...kept, `${ip} ${hostname}`].join("\n")}\n`;
}

/** Name -> address from a hosts file. */
export function parseHosts(text: string): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [addr, name] = line.trim().split(/\s+/);
    if (addr && name) hosts[name] = addr;
  }
  return hosts;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    if (isErrno(err, "ENOENT")) return "";
    throw err;
  }
}

export function readLeases(network: string): Leases {
  const file = usernetLeasesFile(network);
  const text = readText(file);
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as Leases;
  } catch (err) {
    throw new LimaError(`cannot parse ${q(file)}: ${(err as Error).message} (remove the file to start over)`, { cause: err });
  }
}

/**
 * The address of an instance's NIC on `network`, leased under the network directory's lock, and
 * `lima-<instance>.internal` pointed at it for the host resolvers.
 */
export async function leaseAddress(network: string, subnet: Subnet, mac: string, instance: string, reserved: readonly string[]): Promise<string> {
  const dir = usernetDir(network);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return withDirLock(dir, async () => {
    const { ip, leases } = assignLease(readLeases(network), mac, subnet, reserved);
    writeFileSync(usernetLeasesFile(network), `${JSON.stringify(leases)}\n`, { mode: 0o644 });
    const hostsFile = usernetHostsFile(network);
    writeFileSync(hostsFile, updateHosts(readText(hostsFile), ip, `lima-${instance}.internal`), { mode: 0o644 });
    return ip;
  });
}

/** Name -> address of the instances on `network`. */
export function readNetworkHosts(network: string): Record<string, string> {
  return parseHosts(readText(usernetHostsFile(network)));
}
