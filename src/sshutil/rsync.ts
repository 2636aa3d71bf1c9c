// rsync over Lima's SSH transport, as Lima's rsync copy tool drives it: `-e` carries the ssh
// command with the instance's options, guest paths read `USER@127.0.0.1:PATH`.
import { spawnSync } from "node:child_process";
import type { Instance } from "../store/instance.js";
import { sshCommand } from "./command.js";
import { shellQuote, sshAddressOf, sshArgs, sshOpts } from "./sshutil.js";

export interface RsyncOptions {
  recursive: boolean;
  verbose: boolean;
  /** Extra flags after the standard ones, e.g. `--delete`. */
  extra?: readonly string[];
  /** The host receives the files. */
  toHost?: boolean;
}

/**
 * `-a` makes a root receiver take over the sender's owner: a root host (allowed here, unlike Lima)
 * would get files owned by the guest user's uid. A non-root receiver cannot chown, so for the
 * usual host user this changes nothing, and files stay the host user's as with scp.
 */
function ownershipFlags(toHost: boolean | undefined): string[] {
  return toHost && process.getuid?.() === 0 ? ["--no-owner", "--no-group"] : [];
}

/** The `-e` value: the ssh command with the instance's options and port, shell-quoted. */
export function rsyncRemoteShell(inst: Instance): string {
  const [ssh, ...prefix] = sshCommand();
  const words = [ssh ?? "ssh", ...prefix, ...sshArgs(sshOpts(inst.dir, inst.config ?? {})), "-p", String(inst.sshLocalPort ?? 0)];
  return words.map(shellQuote).join(" ");
}

/** A guest path as rsync names it. */
export function rsyncGuestPath(inst: Instance, guestPath: string): string {
  return `${inst.config?.user?.name ?? ""}@${sshAddressOf(inst)}:${guestPath}`;
}

/** Lima's flag order: `-a`, verbosity, `-r`, extras, `-e SSH`, `--`, then the paths. */
export function rsyncArgv(inst: Instance | undefined, opts: RsyncOptions, paths: readonly string[]): string[] {
  const args = ["-a", ...(opts.verbose ? ["-v", "--progress"] : ["-q"]), ...(opts.recursive ? ["-r"] : []), ...(opts.extra ?? []), ...ownershipFlags(opts.toHost)];
  if (inst) args.push("-e", rsyncRemoteShell(inst));
  return [...args, "--", ...paths];
}

/** rsync older than 3.2.4 lets the remote shell split paths (no `--protect-args` by default). */
export function rsyncSplitsRemotePaths(): boolean {
  const out = spawnSync("rsync", ["--version"], { encoding: "utf8" }).stdout ?? "";
  const m = /version (\d+)\.(\d+)\.(\d+)/.exec(out);
  if (!m) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return major < 3 || (major === 3 && (minor < 2 || (minor === 2 && patch < 4)));
}

export function hostHasRsync(): boolean {
  return spawnSync("sh", ["-c", "command -v rsync"], { stdio: "ignore" }).status === 0;
}
