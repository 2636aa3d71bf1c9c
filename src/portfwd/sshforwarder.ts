// Forwards over the instance's SSH ControlMaster (`ssh -O forward|cancel`): static rules, socket
// rules, and dynamic TCP ports when LIMA_SSH_PORT_FORWARDER=true (lima: pkg/hostagent/port.go,
// forwardSSH in hostagent.go).
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { GuestEvent } from "../guestagent/api/index.js";
import type { PortForwardEvent } from "../hostagent/events.js";
import { logger } from "../log/logger.js";
import { runSSH } from "../sshutil/exec.js";
import { errorMessage } from "../util/errors.js";
import { removeStaleSocket } from "./listen.js";
import { forwardingAddresses, hostAddress, isStaticallyForwarded, type GuestPort, type Rule } from "./rules.js";

export type Verb = "forward" | "cancel";

/** `-O forward|cancel` talks to the running master; it answers at once unless something is wrong. */
export const SSH_FORWARD_TIMEOUT_MS = 30_000;
/** Lima creates a unix-socket forward's host directory 0750. */
const SOCKET_DIR_MODE = 0o750;

export interface SSHTarget {
  /** `-F /dev/null -o K=V ...` (the instance's SSH options, ControlMaster included). */
  sshArgs: readonly string[];
  address: string;
  port: number;
}

/** `ssh <opts> -T -O <verb> (-L local:remote | -R remote:local) -N -f -p <port> <address> --` */
export function forwardArgs(target: SSHTarget, verb: Verb, local: string, remote: string, reverse: boolean): string[] {
  const spec = reverse ? ["-R", `${remote}:${local}`] : ["-L", `${local}:${remote}`];
  return [...target.sshArgs, "-T", "-O", verb, ...spec, "-N", "-f", "-p", String(target.port), target.address, "--"];
}

async function runOrThrow(args: string[], signal?: AbortSignal): Promise<void> {
  const result = await runSSH(args, undefined, SSH_FORWARD_TIMEOUT_MS, signal);
  if (result.code !== 0) throw new Error(`failed to run ssh ${args.join(" ")}: exit status ${result.code}: ${result.stderr.trim()}`);
}

async function executeSSH(target: SSHTarget, command: string[]): Promise<void> {
  await runOrThrow([...target.sshArgs, "-p", String(target.port), target.address, "--", ...command]);
}

async function removeGuestPath(target: SSHTarget, remote: string, when: string): Promise<void> {
  try {
    await executeSSH(target, ["rm", "-f", remote]);
  } catch (err) {
    logger.warn(`Failed to clean up ${JSON.stringify(remote)} (guest) ${when}`, { error: errorMessage(err) });
  }
}

function removeHostSocket(local: string, when: string): void {
  try {
    removeStaleSocket(local);
  } catch (err) {
    logger.warn(`Failed to clean up ${JSON.stringify(local)} (host) ${when}`, { error: errorMessage(err) });
  }
}

/** One `-O forward|cancel`, with Lima's unix-socket housekeeping around it. */
export async function forwardSSH(target: SSHTarget, local: string, remote: string, verb: Verb, reverse: boolean): Promise<void> {
  const isSocket = path.isAbsolute(local);
  if (isSocket && verb === "forward") {
    if (reverse) {
      logger.info(`Forwarding ${JSON.stringify(local)} (host) to ${JSON.stringify(remote)} (guest)`);
      await removeGuestPath(target, remote, "before setting up forwarding");
    } else {
      logger.info(`Forwarding ${JSON.stringify(remote)} (guest) to ${JSON.stringify(local)} (host)`);
      removeHostSocket(local, "before setting up forwarding");
    }
    mkdirSync(path.dirname(local), { recursive: true, mode: SOCKET_DIR_MODE });
  }
  if (isSocket && verb === "cancel") {
    if (reverse) {
      logger.info(`Stopping forwarding ${JSON.stringify(local)} (host) to ${JSON.stringify(remote)} (guest)`);
      await removeGuestPath(target, remote, "after stopping forwarding");
    } else {
      logger.info(`Stopping forwarding ${JSON.stringify(remote)} (guest) to ${JSON.stringify(local)} (host)`);
    }
  }
  try {
    await runOrThrow(forwardArgs(target, verb, local, remote, reverse));
  } catch (err) {
    if (isSocket && verb === "forward") {
      if (reverse) await removeGuestPath(target, remote, "after forwarding failed");
      else removeHostSocket(local, "after forwarding failed");
    }
    throw err;
  } finally {
    if (isSocket && verb === "cancel" && !reverse) removeHostSocket(local, "after stopping forwarding");
  }
}

interface ActiveForward {
  local: string;
  remote: string;
  reverse: boolean;
}

export interface SSHForwarderContext {
  rules: readonly Rule[];
  ignoreTCP: boolean;
  target: SSHTarget;
  emit: (ev: PortForwardEvent) => void;
}

/** SSH forwards are serialized: each `-O` is a short exchange with the one master. */
export class SSHForwarder {
  private readonly active = new Map<string, ActiveForward>();
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: SSHForwarderContext) {}

  private enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async forward(local: string, remote: string, reverse: boolean): Promise<void> {
    await forwardSSH(this.ctx.target, local, remote, "forward", reverse);
    this.active.set(`${local}|${remote}|${reverse}`, { local, remote, reverse });
  }

  private async cancel(local: string, remote: string, reverse: boolean): Promise<void> {
    this.active.delete(`${local}|${remote}|${reverse}`);
    await forwardSSH(this.ctx.target, local, remote, "cancel", reverse);
  }

  /** Dynamic TCP ports (LIMA_SSH_PORT_FORWARDER=true). Lima's order: removed, then added. */
  onEvent(ev: GuestEvent): Promise<void> {
    return this.enqueue(async () => {
      for (const port of ev.removed_local_ports ?? []) await this.removed(port);
      for (const port of ev.added_local_ports ?? []) await this.added(port);
    });
  }

  private async removed(port: GuestPort): Promise<void> {
    if (port.protocol !== "tcp" || isStaticallyForwarded(this.ctx.rules, port)) return;
    const { hostAddr, guestAddr } = forwardingAddresses(this.ctx.rules, port, true);
    if (!hostAddr) return;
    logger.info(`Stopping forwarding TCP from ${guestAddr} to ${hostAddr}`);
    this.ctx.emit({ type: "stopping", protocol: "tcp", guestAddr, hostAddr });
    try {
      await this.cancel(hostAddr, guestAddr, false);
    } catch (err) {
      logger.warn(`failed to stop forwarding tcp port ${port.port}`, { error: errorMessage(err) });
    }
  }

  private async added(port: GuestPort): Promise<void> {
    if (port.protocol !== "tcp" || isStaticallyForwarded(this.ctx.rules, port)) return;
    const { hostAddr, guestAddr } = forwardingAddresses(this.ctx.rules, port, true);
    if (!hostAddr) {
      if (!this.ctx.ignoreTCP) {
        logger.info(`Not forwarding TCP ${guestAddr}`);
        this.ctx.emit({ type: "not-forwarding", protocol: "tcp", guestAddr });
      }
      return;
    }
    logger.info(`Forwarding TCP from ${guestAddr} to ${hostAddr}`);
    this.ctx.emit({ type: "forwarding", protocol: "tcp", guestAddr, hostAddr });
    try {
      await this.forward(hostAddr, guestAddr, false);
    } catch (err) {
      logger.warn(`failed to set up forwarding tcp port ${port.port} (negligible if already forwarded)`, { error: errorMessage(err) });
    }
  }

  /** Static rules (§3.8.5): addressed by matching the rule's own guestIP:guestPort. */
  forwardStatic(staticRules: readonly Rule[]): Promise<void> {
    return this.enqueue(async () => {
      for (const rule of staticRules) {
        if (rule.guestSocket) continue;
        const guest: GuestPort = { ip: rule.guestIP, port: rule.guestPort ?? 0, protocol: rule.proto };
        const { hostAddr, guestAddr } = forwardingAddresses(this.ctx.rules, guest, true);
        if (!hostAddr) continue;
        logger.info(`Setting up static TCP forwarding from ${guestAddr} to ${hostAddr}`);
        try {
          await this.forward(hostAddr, guestAddr, false);
        } catch (err) {
          logger.warn(`failed to set up static TCP forwarding ${guestAddr} -> ${hostAddr}`, { error: errorMessage(err) });
        }
      }
    });
  }

  /** guestSocket rules: `-L hostSocket:guestSocket`, or `-R guestSocket:hostSocket` when reverse. */
  forwardSockets(rules: readonly Rule[]): Promise<void> {
    return this.enqueue(async () => {
      for (const rule of rules) {
        if (!rule.guestSocket) continue;
        const local = hostAddress(rule, 0);
        try {
          await this.forward(local, rule.guestSocket, rule.reverse === true);
        } catch (err) {
          logger.warn(`failed to forward ${JSON.stringify(rule.guestSocket)} (guest) and ${JSON.stringify(local)} (host)`, { error: errorMessage(err) });
        }
      }
    });
  }

  /** Cancels every forward this forwarder set up (host-agent shutdown, before `ssh -O exit`). */
  close(): Promise<void> {
    return this.enqueue(async () => {
      for (const f of [...this.active.values()]) {
        try {
          await this.cancel(f.local, f.remote, f.reverse);
        } catch (err) {
          logger.debug(`failed to cancel forwarding ${f.remote} -> ${f.local}`, { error: errorMessage(err) });
        }
      }
    });
  }
}
