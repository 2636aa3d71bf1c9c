// `copyToHost`: once the instance is ready, guest files are copied to the host over the instance's
// SSH connection (`cat` in the guest, `sudo cat` when the user may not read it), as Lima does;
// rules with `deleteOnStop` have their host copies removed when the host agent stops.
import { spawn } from "node:child_process";
import { closeSync, constants, mkdirSync, openSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { CopyToHost } from "../config/types.js";
import { logger } from "../log/logger.js";
import { shellQuote, sshArgs } from "../sshutil/sshutil.js";
import { errorMessage } from "../util/errors.js";
import { q } from "../util/goquote.js";

/** One guest file read over SSH; large files (kubeconfigs, certificates) are small in practice. */
const COPY_TIMEOUT_MS = 5 * 60_000;

export interface GuestTarget {
  /** Where the guest's sshd is reached (the driver's SSH address). */
  address: string;
  port: number;
  opts: readonly string[];
  signal?: AbortSignal;
}

interface GuestRead {
  code: number;
  /** The file's bytes, unchanged. */
  data: Buffer;
  stderr: string;
}

function readGuestFile(t: GuestTarget, command: string[]): Promise<GuestRead> {
  const args = [...sshArgs(t.opts), "-p", String(t.port), t.address, "--", command.map(shellQuote).join(" ")];
  return new Promise((resolve) => {
    const child = spawn("ssh", args, { stdio: ["ignore", "pipe", "pipe"], signal: t.signal, timeout: COPY_TIMEOUT_MS, killSignal: "SIGKILL" });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // A failed spawn may never "close".
    child.on("error", (err) => resolve({ code: 255, data: Buffer.alloc(0), stderr: `${stderr}${err.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 255, data: Buffer.concat(chunks), stderr }));
  });
}

/**
 * Writes `data` to `file` (0600 when created) without following a symlink at its last component:
 * the destination may be inside a writable mount, where the guest could plant one.
 */
export function writeFileNoFollow(file: string, data: Buffer): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** Copies one rule's guest file; resolves with an error message, or undefined when done (or skipped). */
export async function copyToHost(t: GuestTarget, rule: CopyToHost): Promise<string | undefined> {
  logger.info(`Copying config from ${rule.guest} to ${rule.host}`);
  try {
    mkdirSync(path.dirname(rule.host), { recursive: true, mode: 0o700 });
  } catch (err) {
    return `can't create directory for local file ${q(rule.host)}: ${errorMessage(err)}`;
  }
  // LANG=C: the error texts below are matched in English.
  let res = await readGuestFile(t, ["env", "LANG=C", "LC_ALL=C", "cat", rule.guest]);
  if (res.code !== 0 && res.stderr.includes("Permission denied")) {
    logger.info(`Retrying ${rule.guest} with sudo (permission denied)`);
    res = await readGuestFile(t, ["sudo", "env", "LANG=C", "LC_ALL=C", "cat", rule.guest]);
  }
  if (res.code !== 0) {
    if (rule.skipIfMissing && res.stderr.includes("No such file or directory")) {
      logger.info(`Skip missing ${rule.guest} (no such file or directory)`);
      return undefined;
    }
    return `failed to copy ${q(rule.guest)} from the guest to ${q(rule.host)} (\`copyToHost\`): ${res.stderr.trim() || `ssh exited with status ${res.code}`}`;
  }
  try {
    writeFileNoFollow(rule.host, res.data);
  } catch (err) {
    return `can't write to local file ${q(rule.host)}: ${errorMessage(err)}`;
  }
  return undefined;
}

/** At stop: removes the host copies of the rules with `deleteOnStop`; returns what could not be removed. */
export function deleteCopiesOnStop(rules: readonly CopyToHost[]): string[] {
  const errors: string[] = [];
  for (const rule of rules) {
    if (!rule.deleteOnStop) continue;
    logger.info(`Deleting ${rule.host}`);
    try {
      rmSync(rule.host, { recursive: true, force: true });
    } catch (err) {
      errors.push(`cannot delete ${q(rule.host)} (\`copyToHost\` with \`deleteOnStop\`): ${errorMessage(err)}`);
    }
  }
  return errors;
}
