// The default forwarder: host listeners whose connections and datagrams travel through the guest
// agent's gRPC `Tunnel` streams (lima: pkg/portfwd).
import type net from "node:net";
import type { GuestEvent } from "../guestagent/api/index.js";
import type { PortForwardEvent } from "../hostagent/events.js";
import { logger } from "../log/logger.js";
import { errorMessage, isErrno } from "../util/errors.js";
import { findForwardingInstance } from "./conflicts.js";
import { bindDatagram, listenStream, negligibleReason, privilegedPortProblem, type PortPrivilege } from "./listen.js";
import { describeRule, forwardingAddresses, isStaticallyForwarded, type GuestPort, type Rule } from "./rules.js";
import { proxyConnection, TunnelDialer, type ClientSource } from "./tunnel.js";
import { UDPProxy } from "./udpproxy.js";

export interface ForwarderContext {
  rules: readonly Rule[];
  /** How many of `rules` came from lima.yaml (for naming rules in messages). */
  userRuleCount: number;
  ignoreTCP: boolean;
  ignoreUDP: boolean;
  instDir: string;
  limaHome: string;
  privilege: PortPrivilege;
  udpIdleMs: number;
  client: ClientSource;
  emit: (ev: PortForwardEvent) => void;
}

/** One host address: the guest listeners it serves (a guest may listen on 0.0.0.0 and :: alike). */
interface Forward {
  protocol: "tcp" | "udp";
  hostAddr: string;
  guestAddrs: string[];
  dialers: Map<string, TunnelDialer>;
  closed: boolean;
  server?: net.Server;
  udp?: UDPProxy;
}

const upper = (proto: string): string => proto.toUpperCase();

export class GrpcForwarder {
  /** Keyed `proto-hostAddr`; each holds the `proto-hostAddr-guestAddr` forwards sharing it. */
  private readonly forwards = new Map<string, Forward>();

  constructor(private readonly ctx: ForwarderContext) {}

  /** Lima's order: added ports, then removed ones. */
  onEvent(ev: GuestEvent): void {
    for (const port of ev.added_local_ports ?? []) this.added(port);
    for (const port of ev.removed_local_ports ?? []) this.removed(port);
  }

  private added(port: GuestPort): void {
    if (port.protocol !== "tcp" && port.protocol !== "udp") return;
    // A static rule's range is forwarded over SSH; forwarding it here too would clash.
    if (isStaticallyForwarded(this.ctx.rules, port)) return;
    const match = forwardingAddresses(this.ctx.rules, port);
    const protocol = port.protocol;
    if (!match.hostAddr) {
      if (!(protocol === "tcp" ? this.ctx.ignoreTCP : this.ctx.ignoreUDP)) {
        logger.info(`Not forwarding ${upper(protocol)} ${match.guestAddr}`);
        this.ctx.emit({ type: "not-forwarding", protocol, guestAddr: match.guestAddr });
      }
      return;
    }
    const { hostAddr, guestAddr } = match;
    const problem = privilegedPortProblem(hostAddr, this.ctx.privilege, describeRule(match.ruleIndex, this.ctx.userRuleCount));
    if (problem) {
      this.refusePrivileged(protocol, guestAddr, hostAddr, problem, match.ruleIndex);
      return;
    }
    const key = `${protocol}-${hostAddr}`;
    const existing = this.forwards.get(key);
    if (existing) {
      if (existing.guestAddrs.includes(guestAddr)) return;
      existing.guestAddrs.push(guestAddr);
      logger.info(`Forwarding ${upper(protocol)} from ${guestAddr} to ${hostAddr}`);
      if (existing.server || existing.udp) this.ctx.emit({ type: "forwarding", protocol, guestAddr, hostAddr });
      return;
    }
    logger.info(`Forwarding ${upper(protocol)} from ${guestAddr} to ${hostAddr}`);
    const forward: Forward = { protocol, hostAddr, guestAddrs: [guestAddr], dialers: new Map(), closed: false };
    this.forwards.set(key, forward);
    void this.listen(forward);
  }

  private refusePrivileged(protocol: "tcp" | "udp", guestAddr: string, hostAddr: string, problem: string, ruleIndex: number | undefined): void {
    const isUserRule = ruleIndex !== undefined && ruleIndex >= 2 && ruleIndex - 2 < this.ctx.userRuleCount;
    // The default rule meeting a low guest port is routine (Lima: "negligible"); a user's rule is a mistake.
    const log = isUserRule ? logger.warn : logger.info;
    log(`Not forwarding ${upper(protocol)} ${hostAddr}: ${problem}`);
    this.ctx.emit({ type: "not-forwarding", protocol, guestAddr, hostAddr, error: problem });
  }

  private dialer(forward: Forward): TunnelDialer {
    const guestAddr = forward.guestAddrs[0] ?? "";
    let dialer = forward.dialers.get(guestAddr);
    if (!dialer) {
      dialer = new TunnelDialer(this.ctx.client, forward.protocol, guestAddr);
      forward.dialers.set(guestAddr, dialer);
    }
    return dialer;
  }

  private async listen(forward: Forward): Promise<void> {
    const { protocol, hostAddr } = forward;
    try {
      if (protocol === "tcp") forward.server = await listenStream(hostAddr, (socket) => proxyConnection(socket, this.dialer(forward)));
      else forward.udp = new UDPProxy(await bindDatagram(hostAddr), () => this.dialer(forward), this.ctx.udpIdleMs);
    } catch (err) {
      this.forwards.delete(`${protocol}-${hostAddr}`);
      this.listenFailed(forward, err);
      return;
    }
    if (forward.closed) {
      closeForward(forward);
      return;
    }
    for (const guestAddr of forward.guestAddrs) this.ctx.emit({ type: "forwarding", protocol, guestAddr, hostAddr });
  }

  private listenFailed(forward: Forward, err: unknown): void {
    const { protocol, hostAddr } = forward;
    const guestAddr = forward.guestAddrs[0] ?? "";
    const negligible = negligibleReason(err, protocol, hostAddr);
    if (negligible) {
      logger.debug(`failed to listen ${protocol}: ${hostAddr}`, { error: errorMessage(err), "negligible-reason": negligible });
      logger.info(`Not forwarding ${upper(protocol)} ${hostAddr}`);
      this.ctx.emit({ type: "not-forwarding", protocol, guestAddr, hostAddr, error: `${errorMessage(err)} (${negligible})` });
      return;
    }
    const error = this.explainListenError(err, protocol, hostAddr);
    logger.warn(`failed to listen ${protocol}: ${hostAddr}`, { error });
    this.ctx.emit({ type: "not-forwarding", protocol, guestAddr, hostAddr, error });
  }

  private explainListenError(err: unknown, protocol: string, hostAddr: string): string {
    if (!isErrno(err, "EADDRINUSE")) return errorMessage(err);
    const owner = findForwardingInstance(this.ctx.limaHome, this.ctx.instDir, protocol, hostAddr);
    if (owner) {
      return `host address ${hostAddr} (${protocol}) is already forwarded by instance ${JSON.stringify(owner)}; stop that instance or give this port another hostPort in portForwards`;
    }
    return `host address ${hostAddr} (${protocol}) is already in use by another program on the host; stop it or give this port another hostPort in portForwards`;
  }

  private removed(port: GuestPort): void {
    if (port.protocol !== "tcp" && port.protocol !== "udp") return;
    if (isStaticallyForwarded(this.ctx.rules, port)) return;
    const match = forwardingAddresses(this.ctx.rules, port);
    if (!match.hostAddr) return;
    const { hostAddr, guestAddr } = match;
    this.ctx.emit({ type: "stopping", protocol: port.protocol, guestAddr, hostAddr });
    const key = `${port.protocol}-${hostAddr}`;
    const forward = this.forwards.get(key);
    if (!forward) return;
    forward.guestAddrs = forward.guestAddrs.filter((a) => a !== guestAddr);
    forward.dialers.delete(guestAddr);
    if (forward.guestAddrs.length > 0) return;
    this.forwards.delete(key);
    forward.closed = true;
    closeForward(forward);
    logger.debug(`Port forwarding closed proto:${port.protocol} host:${hostAddr} guest:${guestAddr}`);
  }

  /** Closes every listener and UDP client stream (host-agent shutdown); accepted TCP connections run out. */
  close(): void {
    for (const forward of this.forwards.values()) {
      forward.closed = true;
      closeForward(forward);
    }
    this.forwards.clear();
  }
}

function closeForward(forward: Forward): void {
  forward.server?.close();
  forward.udp?.close();
}
