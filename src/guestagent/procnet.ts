// Listening sockets from /proc/net/{tcp,tcp6,udp,udp6}: the text the kernel prints for every
// socket of the agent's network namespace. Lima asks netlink (sock_diag) for the same table; the
// /proc text is what we can read without native code, and it is cheap to re-read.
import type { IPPort } from "./api/index.js";

export type Protocol = "tcp" | "udp";

export interface ProcNetTable {
  /** File name under /proc/net. */
  name: "tcp" | "tcp6" | "udp" | "udp6";
  protocol: Protocol;
}

export const PROC_NET_TABLES: readonly ProcNetTable[] = [
  { name: "tcp", protocol: "tcp" },
  { name: "tcp6", protocol: "tcp" },
  { name: "udp", protocol: "udp" },
  { name: "udp6", protocol: "udp" },
];

/** `st` column values Lima reports: TCP_LISTEN, and TCP_CLOSE which for UDP means unconnected. */
const REPORTED_STATE: Record<Protocol, string> = { tcp: "0A", udp: "07" };

/** The listening (TCP) or unconnected (UDP) sockets of one /proc/net table. */
export function parseProcNet(text: string, protocol: Protocol): IPPort[] {
  const wanted = REPORTED_STATE[protocol];
  const ports: IPPort[] = [];
  for (const line of text.split("\n")) {
    // "  sl: local_address rem_address st ..." — the header line has no "NN:" first field.
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || !fields[0]?.endsWith(":") || fields[3]?.toUpperCase() !== wanted) continue;
    const local = parseHexAddress(fields[1] ?? "");
    if (local) ports.push({ protocol, ip: local.ip, port: local.port });
  }
  return ports;
}

/** "0100007F:0016" → {ip: "127.0.0.1", port: 22}; undefined when malformed. */
export function parseHexAddress(field: string): { ip: string; port: number } | undefined {
  const [hexIP, hexPort] = field.split(":");
  if (!hexIP || !hexPort || !/^[0-9A-Fa-f]+$/.test(hexIP + hexPort)) return undefined;
  if (hexIP.length !== 8 && hexIP.length !== 32) return undefined;
  return { ip: goIPString(kernelHexToBytes(hexIP)), port: parseInt(hexPort, 16) };
}

/**
 * The kernel prints an address as 32-bit words in host byte order (little-endian on every
 * architecture Lima runs guests on), so each 4-byte group is reversed.
 */
function kernelHexToBytes(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let word = 0; word < bytes.length; word += 4) {
    for (let i = 0; i < 4; i++) bytes[word + i] = parseInt(hex.slice((word + 3 - i) * 2, (word + 4 - i) * 2), 16);
  }
  return bytes;
}

/**
 * An address as Go's net.IP.String() prints it (the host matches rules against this text):
 * IPv4 and IPv4-mapped IPv6 as a dotted quad, other IPv6 in RFC 5952 form (lower-case hex, the
 * first longest run of two or more zero groups as `::`).
 */
export function goIPString(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join(".");
  if (isIPv4Mapped(bytes)) return Array.from(bytes.subarray(12)).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  const run = longestZeroRun(groups);
  if (run.length < 2) return groups.map((g) => g.toString(16)).join(":");
  const head = groups.slice(0, run.start).map((g) => g.toString(16)).join(":");
  const tail = groups.slice(run.start + run.length).map((g) => g.toString(16)).join(":");
  return `${head}::${tail}`;
}

function isIPv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function longestZeroRun(groups: number[]): { start: number; length: number } {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  return best;
}
