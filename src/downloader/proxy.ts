// Which proxy a request goes through: HTTP_PROXY, HTTPS_PROXY and NO_PROXY (or their lower-case
// forms) read the way Go's net/http ProxyFromEnvironment reads them (golang.org/x/net/http/httpproxy),
// since Lima downloads with Go's default client and users' proxy settings are written for it.
import { splitHostPort } from "../util/hostport.js";
import { isIP } from "node:net";
import { domainToASCII } from "node:url";

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443", "socks5:": "1080" };
const PROXY_SCHEMES = new Set(["http:", "https:", "socks5:"]);

/** An IP as Go compares it: IPv4 (also when written as ::ffff:a.b.c.d) in 4 bytes, IPv6 in 16. */
interface Ip {
  bytes: number[];
}

type NoProxyRule =
  | { kind: "all" }
  | { kind: "cidr"; network: Ip; prefixBits: number }
  | { kind: "ip"; ip: Ip; port: string }
  /** `suffix` starts with "."; `matchHost` when the entry was `foo.com` (not `.foo.com`), which also matches `foo.com` itself. */
  | { kind: "domain"; suffix: string; port: string; matchHost: boolean };

export interface ProxySettings {
  httpProxy?: URL;
  httpsProxy?: URL;
  noProxy: NoProxyRule[];
}

/** Upper case wins over lower case; an empty value counts as unset (Go's getEnvAny). */
export function proxySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const pick = (name: string) => env[name] || env[name.toLowerCase()] || "";
  return {
    httpProxy: parseProxy(pick("HTTP_PROXY")),
    httpsProxy: parseProxy(pick("HTTPS_PROXY")),
    noProxy: parseNoProxy(pick("NO_PROXY")),
  };
}

/** The proxy for `target`, undefined for a direct connection. HTTPS_PROXY serves only https:, HTTP_PROXY only http:. */
export function proxyForUrl(target: URL, settings: ProxySettings = proxySettingsFromEnv()): URL | undefined {
  const proxy = target.protocol === "https:" ? settings.httpsProxy : target.protocol === "http:" ? settings.httpProxy : undefined;
  if (proxy === undefined) return undefined;
  return useProxy(settings.noProxy, hostOf(target), portOf(target)) ? proxy : undefined;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, "$1");
}

/** The URL's port, or its scheme's default. */
export function portOf(url: URL): string {
  return url.port || DEFAULT_PORTS[url.protocol] || "";
}

/** A full URL, or `host[:port]` taken as http://; Go ignores a value that is neither. */
function parseProxy(value: string): URL | undefined {
  if (value === "") return undefined;
  const direct = tryUrl(value);
  if (direct !== undefined && PROXY_SCHEMES.has(direct.protocol)) return direct;
  return tryUrl(`http://${value}`) ?? direct;
}

function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** localhost and loopback IPs are never proxied, whatever NO_PROXY says. */
function useProxy(rules: readonly NoProxyRule[], rawHost: string, port: string): boolean {
  const host = rawHost.trim().toLowerCase();
  if (host === "localhost") return false;
  const ip = parseIp(host);
  if (ip !== undefined && isLoopback(ip)) return false;
  return !rules.some((rule) => ruleMatches(rule, host, port, ip));
}

function ruleMatches(rule: NoProxyRule, host: string, port: string, ip: Ip | undefined): boolean {
  switch (rule.kind) {
    case "all":
      return true;
    case "cidr":
      return ip !== undefined && inNetwork(ip, rule.network, rule.prefixBits);
    case "ip":
      return ip !== undefined && sameIp(ip, rule.ip) && (rule.port === "" || rule.port === port);
    case "domain": {
      const matches = host.endsWith(rule.suffix) || (rule.matchHost && host === rule.suffix.slice(1));
      return matches && (rule.port === "" || rule.port === port);
    }
  }
}

/** Comma-separated entries: `*`, CIDRs, IPs, domains (`foo.com`, `.foo.com`, `*.foo.com`), each IP or domain with an optional `:port`. Malformed entries are skipped. */
function parseNoProxy(value: string): NoProxyRule[] {
  const rules: NoProxyRule[] = [];
  for (const raw of value.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry === "*") return [{ kind: "all" }];
    const rule = parseNoProxyEntry(entry);
    if (rule !== undefined) rules.push(rule);
  }
  return rules;
}

function parseNoProxyEntry(entry: string): NoProxyRule | undefined {
  const cidr = parseCidr(entry);
  if (cidr !== undefined) return cidr;
  const split = splitHostPort(entry);
  if (split !== undefined && split.host === "") return undefined;
  const host = split?.host ?? entry;
  const port = split?.port ?? "";
  const ip = parseIp(host);
  if (ip !== undefined) return { kind: "ip", ip, port };
  if (host === "") return undefined;
  const dotted = host.startsWith("*.") ? host.slice(1) : host;
  const matchHost = !dotted.startsWith(".");
  const name = matchHost ? dotted : dotted.slice(1);
  return { kind: "domain", suffix: `.${asciiDomain(name)}`, port, matchHost };
}

/** Punycode for internationalised names, as URL hostnames are; ASCII stays as it is. */
function asciiDomain(name: string): string {
  return /^[\x00-\x7f]*$/.test(name) ? name : domainToASCII(name) || name;
}

function parseCidr(text: string): NoProxyRule | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const bitsText = text.slice(slash + 1);
  const ip = parseIp(address);
  const maxBits = isIP(address) === 4 ? 32 : 128;
  if (ip === undefined || !/^\d+$/.test(bitsText) || Number(bitsText) > maxBits) return undefined;
  // An IPv4 network written as IPv6 (::ffff:10.0.0.0/104) counts its prefix over the last 32 bits.
  const prefixBits = Math.max(0, Number(bitsText) - (maxBits - ip.bytes.length * 8));
  return { kind: "cidr", network: ip, prefixBits };
}

/** Go's net.ParseIP: dotted IPv4 or IPv6 (no zone); IPv4-mapped IPv6 becomes IPv4. */
function parseIp(text: string): Ip | undefined {
  if (text.includes("%")) return undefined;
  const version = isIP(text);
  if (version === 4) return { bytes: text.split(".").map(Number) };
  if (version !== 6) return undefined;
  const bytes = ipv6Bytes(text);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return { bytes: mapped ? bytes.slice(12) : bytes };
}

/** 16 bytes of a valid IPv6 text (checked by isIP), with `::` and a trailing dotted IPv4 expanded. */
function ipv6Bytes(text: string): number[] {
  const groups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const gap = text.indexOf("::");
  const head = groups(gap < 0 ? text : text.slice(0, gap));
  const tail = gap < 0 ? [] : groups(text.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

function isLoopback(ip: Ip): boolean {
  if (ip.bytes.length === 4) return ip.bytes[0] === 127;
  return ip.bytes.slice(0, 15).every((b) => b === 0) && ip.bytes[15] === 1;
}

function sameIp(a: Ip, b: Ip): boolean {
  return a.bytes.length === b.bytes.length && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** An IPv4 address is never in an IPv6 network, nor the other way round (Go's IPNet.Contains). */
function inNetwork(ip: Ip, network: Ip, prefixBits: number): boolean {
  if (ip.bytes.length !== network.bytes.length) return false;
  for (let bit = 0; bit < prefixBits; bit++) {
    const mask = 0x80 >> bit % 8;
    const index = Math.floor(bit / 8);
    if (((ip.bytes[index] ?? 0) & mask) !== ((network.bytes[index] ?? 0) & mask)) return false;
  }
  return true;
}
