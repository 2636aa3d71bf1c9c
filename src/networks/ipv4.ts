// IPv4 arithmetic for networks.yaml gateways and user-v2 addresses (Go's net package behaviour
// where Lima's output depends on it).
import net from "node:net";
import { LimaError } from "../util/errors.js";

export function parseIPv4(text: string): number | undefined {
  if (!net.isIPv4(text)) return undefined;
  return text.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** The prefix length of a contiguous mask, or -1 (Go's simpleMaskLength). */
export function maskLength(mask: number): number {
  for (let bits = 0; bits <= 32; bits++) {
    if (maskOf(bits) === mask) return bits;
  }
  return -1;
}

export function maskOf(bits: number): number {
  return bits === 0 ? 0 : (2 ** 32 - 2 ** (32 - bits));
}

/** Go's IPNet{IP: gateway, Mask: netmask}.String(): `192.168.104.1/24`; `<nil>` without a mask. */
export function gatewayString(gateway: string, netmask: string | undefined): string {
  const mask = netmask === undefined ? undefined : parseIPv4(netmask);
  if (mask === undefined) return "<nil>";
  const len = maskLength(mask);
  return `${gateway}/${len >= 0 ? len : mask.toString(16).padStart(8, "0")}`;
}

export interface CIDR {
  ip: number;
  bits: number;
}

/** net.ParseCIDR for IPv4: `invalid CIDR address: X` as Go says it. */
export function parseCIDR(text: string): CIDR {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const ip = match ? parseIPv4(match[1] ?? "") : undefined;
  const bits = Number(match?.[2] ?? "-1");
  if (ip === undefined || bits < 0 || bits > 32) throw new LimaError(`invalid CIDR address: ${text}`);
  return { ip, bits };
}

export interface Subnet {
  /** The network address. */
  base: number;
  bits: number;
}

/** The subnet of a gateway and its netmask (Lima's usernet SubnetCIDR). */
export function subnetOf(gateway: string, netmask = "255.255.255.0"): Subnet {
  const ip = parseIPv4(gateway);
  const mask = parseIPv4(netmask);
  if (ip === undefined) throw new LimaError(`invalid gateway address ${JSON.stringify(gateway)}`);
  const bits = mask === undefined ? -1 : maskLength(mask);
  if (bits < 0) throw new LimaError(`invalid netmask ${JSON.stringify(netmask)}`);
  return { base: Math.floor(ip / 2 ** (32 - bits)) * 2 ** (32 - bits), bits };
}

export function subnetString(subnet: Subnet): string {
  return `${formatIPv4(subnet.base)}/${subnet.bits}`;
}
