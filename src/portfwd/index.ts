// Port forwarding for one instance's host agent (§3.8). The host agent uses only this class:
//
//   const pf = new PortForwarder({
//     instDir, instName, limaHome,               // limaHome defaults to dirname(instDir)
//     rules: config.portForwards ?? [],          // lima.yaml rules, defaults filled, static ones included
//     sshLocalPort,
//     sshArgs: sshArgs(sshOpts(instDir, config)),// `-F /dev/null -o ...` incl. the ControlMaster options
//     useSSH: undefined,                         // undefined: LIMA_SSH_PORT_FORWARDER decides
//     client: () => currentGuestAgentClient,     // looked up per connection: the GA client may be replaced
//     emit: (pf) => events.emitWith({ portForward: pf }),
//   });
//   await pf.forwardStatic();        // after the essential requirements and reverse-sshfs mounts
//   await pf.forwardSockets();       // when the GA watcher starts (unless the driver skips socket forwarding)
//   pf.handleEvent(guestEvent);      // for every GetEvents message
//   await pf.close();                // shutdown: closes listeners, cancels SSH forwards (before `ssh -O exit`)
//
// Events are Lima's `portForward` objects: forwarding / not-forwarding / stopping. A listen that
// fails is reported as `not-forwarding` with `hostAddr` and `error` (Lima never emits `failed`);
// when another instance of the same LIMA_HOME holds the port, the error names it.
import path from "node:path";
import type { PortForward } from "../config/types.js";
import type { GuestEvent, GuestServiceClient } from "../guestagent/api/index.js";
import type { PortForwardEvent } from "../hostagent/events.js";
import { logger } from "../log/logger.js";
import { GrpcForwarder } from "./grpcforwarder.js";
import { hostPortPrivilege, type PortPrivilege } from "./listen.js";
import { completeRule, effectiveRules, ignoredProtocols, separateStatic, type Rule } from "./rules.js";
import { SSHForwarder } from "./sshforwarder.js";
import { UDP_CLIENT_IDLE_MS } from "./udpproxy.js";

export interface PortForwarderOptions {
  instDir: string;
  instName: string;
  limaHome?: string;
  rules: readonly PortForward[];
  sshLocalPort: number;
  sshArgs: readonly string[];
  /** Where the guest's sshd is reached (default 127.0.0.1). */
  sshAddress?: string;
  /** Dynamic ports over SSH instead of gRPC tunnels; default from LIMA_SSH_PORT_FORWARDER. */
  useSSH?: boolean;
  client: () => GuestServiceClient | undefined;
  emit: (ev: PortForwardEvent) => void;
  /** Host facts for low ports (default: this process and the host's sysctl). */
  privilege?: PortPrivilege;
  udpIdleMs?: number;
}

/** Go's strconv.ParseBool, for LIMA_SSH_PORT_FORWARDER (invalid or unset: the gRPC forwarder). */
export function sshForwarderFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.LIMA_SSH_PORT_FORWARDER;
  if (value === undefined || value === "") return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  logger.warn(`invalid LIMA_SSH_PORT_FORWARDER value ${JSON.stringify(value)}`);
  return false;
}

/** Lima's %#q: a backquoted raw string when possible. */
function backquote(s: string): string {
  return s.includes("`") || /[\x00-\x1f]/.test(s) ? JSON.stringify(s) : `\`${s}\``;
}

export class PortForwarder {
  private readonly staticRules: Rule[];
  private readonly socketRules: Rule[];
  private readonly useSSH: boolean;
  private readonly grpc: GrpcForwarder;
  private readonly ssh: SSHForwarder;

  constructor(options: PortForwarderOptions) {
    const { staticRules } = separateStatic(options.rules);
    const rules = effectiveRules(options.rules, options.sshLocalPort);
    const { ignoreTCP, ignoreUDP } = ignoredProtocols(options.rules);
    if (ignoreTCP && ignoreUDP) logger.info("TCP (except for SSH) and UDP port forwarding is disabled");
    else if (ignoreTCP) logger.info("TCP port forwarding is disabled (except for SSH)");
    else if (ignoreUDP) logger.info("UDP port forwarding is disabled");
    this.staticRules = staticRules.map(completeRule);
    this.socketRules = options.rules.filter((r) => r.guestSocket).map(completeRule);
    this.useSSH = options.useSSH ?? sshForwarderFromEnv();
    this.grpc = new GrpcForwarder({
      rules,
      userRuleCount: options.rules.length,
      ignoreTCP,
      ignoreUDP,
      instDir: options.instDir,
      limaHome: options.limaHome ?? path.dirname(options.instDir),
      privilege: options.privilege ?? hostPortPrivilege(),
      udpIdleMs: options.udpIdleMs ?? UDP_CLIENT_IDLE_MS,
      client: options.client,
      emit: options.emit,
    });
    this.ssh = new SSHForwarder({
      rules,
      ignoreTCP,
      target: { sshArgs: options.sshArgs, address: options.sshAddress ?? "127.0.0.1", port: options.sshLocalPort },
      emit: options.emit,
    });
  }

  /** One GetEvents message from the guest agent. */
  handleEvent(ev: GuestEvent): void {
    for (const error of ev.errors ?? []) logger.warn(`received error from the guest: ${backquote(error)}`);
    if (this.useSSH) void this.ssh.onEvent(ev);
    else this.grpc.onEvent(ev);
  }

  /** Static rules over SSH (works in plain mode; no guest agent needed). */
  forwardStatic(): Promise<void> {
    return this.ssh.forwardStatic(this.staticRules);
  }

  /** guestSocket rules over SSH. */
  forwardSockets(): Promise<void> {
    return this.ssh.forwardSockets(this.socketRules);
  }

  async close(): Promise<void> {
    this.grpc.close();
    await this.ssh.close();
  }
}
