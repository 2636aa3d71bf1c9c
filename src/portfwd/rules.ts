// Port-forward rules (pure): the host agent's effective rule list and the matching of a guest
// listener to a host address, as Lima's hostagent does it (lima: pkg/portfwd/forward.go,
// pkg/hostagent/port.go). Rules arrive with defaults filled (src/config/defaults.ts).
import net from "node:net";
import type { PortForward } from "../config/types.js";

/** A listener reported by the guest agent (`IPPort`). */
export interface GuestPort {
  protocol: string;
  ip: string;
  port: number;
}

/** A rule with every field the matching needs (filled defaults). */
export type Rule = PortForward & {
  guestIP: string;
  guestIPMustBeZero: boolean;
  guestPortRange: [number, number];
  hostIP: string;
  proto: "tcp" | "udp" | "any";
};

export const SSH_GUEST_PORT = 22;
const ALL_PORTS: [number, number] = [1, 65535];

export interface Match {
  /** Host address ("ip:port", "[ipv6]:port" or a socket path); undefined: not forwarded. */
  hostAddr?: string;
  /** The guest address to dial ("ip:port", IPv6 in brackets). */
  guestAddr: string;
  /** Index in the effective rule list of the rule that decided (ignore rules included). */
  ruleIndex?: number;
}

/** Fills what `fillDefault` fills, for rules built here or handed over partially. */
export function completeRule(rule: PortForward): Rule {
  const guestIP = rule.guestIP ?? (rule.guestIPMustBeZero === true ? "0.0.0.0" : "127.0.0.1");
  const guestPort = rule.guestPort ?? 0;
  const guestPortRange = isSet(rule.guestPortRange) ? rule.guestPortRange : guestPort === 0 ? ALL_PORTS : ([guestPort, guestPort] as [number, number]);
  const out: Rule = {
    ...rule,
    proto: rule.proto || "any",
    guestIP,
    guestIPMustBeZero: rule.guestIPMustBeZero ?? canonicalIP(guestIP) === "0.0.0.0",
    guestPortRange,
    hostIP: rule.hostIP ?? "127.0.0.1",
  };
  if (!rule.hostSocket && !isSet(rule.hostPortRange)) {
    const hostPort = rule.hostPort ?? 0;
    out.hostPortRange = hostPort === 0 ? [...guestPortRange] : [hostPort, hostPort];
  }
  return out;
}

function isSet(range: [number, number] | undefined): range is [number, number] {
  return range !== undefined && !(range[0] === 0 && range[1] === 0);
}

/**
 * The effective list: ignore guest port 22 and the SSH local port on every guest IP, the user's
 * rules, then the default rule (127.0.0.1 → 127.0.0.1, same port).
 */
export function effectiveRules(userRules: readonly PortForward[], sshLocalPort: number): Rule[] {
  const sshIgnores = [SSH_GUEST_PORT, sshLocalPort].map((port) =>
    // guestIPMustBeZero stays false so that the ignore covers 127.0.0.1 and ::1 too.
    completeRule({ guestIP: "0.0.0.0", guestIPMustBeZero: false, guestPort: port, ignore: true }),
  );
  return [...sshIgnores, ...userRules.map(completeRule), completeRule({})];
}

/** Leading user rules that ignore every port switch off "Not forwarding" logs and events. */
export function ignoredProtocols(userRules: readonly PortForward[]): { ignoreTCP: boolean; ignoreUDP: boolean } {
  let ignoreTCP = false;
  let ignoreUDP = false;
  for (const raw of userRules) {
    const rule = completeRule(raw);
    if (!rule.ignore || rule.guestPortRange[0] !== 1 || rule.guestPortRange[1] !== 65535) break;
    if (rule.proto !== "udp") ignoreTCP = true;
    if (rule.proto !== "tcp") ignoreUDP = true;
  }
  return { ignoreTCP, ignoreUDP };
}

/** Static rules go over SSH; the rest (socket rules included) stay with the dynamic forwarders. */
export function separateStatic(rules: readonly PortForward[]): { staticRules: PortForward[]; dynamicRules: PortForward[] } {
  return { staticRules: rules.filter((r) => r.static === true), dynamicRules: rules.filter((r) => r.static !== true) };
}

/** Whether a static rule's port range covers the port (then the dynamic forwarders leave it alone). */
export function isStaticallyForwarded(rules: readonly Rule[], guest: GuestPort): boolean {
  return rules.some((r) => r.static === true && guest.port >= r.guestPortRange[0] && guest.port <= r.guestPortRange[1]);
}

/**
 * First matching rule wins (§3.8.3). `sshOnly`: the SSH forwarder's view, which considers only
 * tcp/any rules whatever the listener's protocol.
 */
export function forwardingAddresses(rules: readonly Rule[], guest: GuestPort, sshOnly = false): Match {
  const guestIP = canonicalIP(guest.ip);
  const guestAddr = joinHostPort(guestIP, guest.port);
  for (const [index, rule] of rules.entries()) {
    if (rule.guestSocket) continue;
    if (!protoMatches(rule, guest.protocol, sshOnly)) continue;
    if (guest.port < rule.guestPortRange[0] || guest.port > rule.guestPortRange[1]) continue;
    if (!ipMatches(rule, guestIP)) continue;
    if (rule.ignore) {
      // An ignore for a specific IP does not cover a listener on all addresses.
      if (isUnspecified(guestIP) && !isUnspecified(canonicalIP(rule.guestIP))) continue;
      return { guestAddr, ruleIndex: index };
    }
    return { hostAddr: hostAddress(rule, guest.port), guestAddr, ruleIndex: index };
  }
  return { guestAddr };
}

function protoMatches(rule: Rule, protocol: string, sshOnly: boolean): boolean {
  if (sshOnly) return rule.proto === "tcp" || rule.proto === "any";
  return rule.proto === "any" || rule.proto === protocol;
}

function ipMatches(rule: Rule, guestIP: string): boolean {
  const ruleIP = canonicalIP(rule.guestIP);
  if (isUnspecified(guestIP) || guestIP === ruleIP) return true;
  if (guestIP === "::1" && ruleIP === "127.0.0.1") return true;
  return isUnspecified(ruleIP) && !rule.guestIPMustBeZero;
}

/** `hostSocket`, else hostIP with the port shifted by the rule's range offset (port 0: a socket rule). */
export function hostAddress(rule: Rule, guestPort: number): string {
  if (rule.hostSocket) return rule.hostSocket;
  const hostPortRange = rule.hostPortRange ?? rule.guestPortRange;
  const port = guestPort === 0 ? (rule.hostPort ?? 0) : guestPort + hostPortRange[0] - rule.guestPortRange[0];
  return joinHostPort(canonicalIP(rule.hostIP), port);
}

/** Go's IP.String(): IPv4-mapped IPv6 as dotted quad, IPv6 compressed and lower case. */
export function canonicalIP(ip: string): string {
  if (!net.isIPv6(ip)) return ip;
  const compressed = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (!mapped) return compressed;
  const hi = Number.parseInt(mapped[1] ?? "0", 16);
  const lo = Number.parseInt(mapped[2] ?? "0", 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
}

export function isUnspecified(ip: string): boolean {
  return ip === "0.0.0.0" || ip === "::";
}

/** Go's net.JoinHostPort. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A human name for the rule at `index` of the effective list (for messages naming the fix). */
export function describeRule(index: number | undefined, userRuleCount: number): string {
  if (index === undefined) return "no rule";
  if (index < 2) return "the built-in SSH port ignore rule";
  if (index - 2 < userRuleCount) return `portForwards[${index - 2}]`;
  return "the default rule (guest 127.0.0.1:<port> → host 127.0.0.1:<same port>)";
}
