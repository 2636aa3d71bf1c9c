// SSH client side, as Lima drives OpenSSH: the `_config/user` key, the option set, `ssh.config`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LimaYAML } from "../config/types.js";
import { limaCacheDir, limaConfigDir } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import { LimaError } from "../util/errors.js";
import { cachedOpenSSHVersion, type OpenSSHVersion, SSH_VERSION_CACHE_FILE } from "./versioncache.js";

export type { OpenSSHVersion } from "./versioncache.js";

export function userPrivateKeyPath(): string {
  return path.join(limaConfigDir(), filenames.UserPrivateKey);
}

/**
 * Creates `_config/user` (ed25519, no passphrase, comment `lima`) once. ssh-keygen writes into a
 * private temp dir and the pair is renamed into place, so concurrent callers never see half a key.
 */
export function ensureUserKey(): void {
  const key = userPrivateKeyPath();
  if (existsSync(key) && existsSync(`${key}.pub`)) return;
  const dir = limaConfigDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = mkdtempSync(path.join(dir, ".keygen-"));
  try {
    const res = spawnSync("ssh-keygen", ["-t", "ed25519", "-q", "-N", "", "-C", "lima", "-f", path.join(tmp, "user")], { encoding: "utf8" });
    if (res.error) throw new LimaError(`failed to run ssh-keygen (is OpenSSH installed?): ${res.error.message}`);
    if (res.status !== 0) throw new LimaError(`failed to run ssh-keygen: ${res.stderr.trim()}`);
    if (existsSync(key) && existsSync(`${key}.pub`)) return;
    renameSync(path.join(tmp, "user.pub"), `${key}.pub`);
    renameSync(path.join(tmp, "user"), key);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Authorized keys for the guest: `user.pub` first, then `~/.ssh/*.pub` when asked. */
export function publicKeys(loadDotSSHPubKeys: boolean): string[] {
  ensureUserKey();
  const keys = [readFileSync(`${userPrivateKeyPath()}.pub`, "utf8").trim()];
  if (!loadDotSSHPubKeys) return keys;
  const dotSSH = path.join(os.homedir(), ".ssh");
  let entries: string[] = [];
  try {
    entries = readdirSync(dotSSH).filter((f) => f.endsWith(".pub")).sort();
  } catch {
    return keys;
  }
  for (const f of entries) {
    const text = readFileSync(path.join(dotSSH, f), "utf8").trim();
    if (/^(ssh-|ecdsa-|sk-)/.test(text)) keys.push(text);
  }
  return keys;
}

let cachedVersion: OpenSSHVersion | undefined;

/** The version of the `ssh` on PATH, detected once per ssh binary (versioncache.ts). */
export function openSSHVersion(): OpenSSHVersion {
  cachedVersion ??= cachedOpenSSHVersion(path.join(limaCacheDir(), SSH_VERSION_CACHE_FILE));
  return cachedVersion;
}

function atLeast(v: OpenSSHVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

function cpuHasAES(): boolean {
  if (process.arch === "arm64") return true;
  try {
    return /\baes\b/.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

/** Lima's CommonOpts, in order. */
export function commonOpts(config: LimaYAML): string[] {
  const opts = [`IdentityFile="${userPrivateKeyPath()}"`];
  if (config.ssh?.loadDotSSHPubKeys) {
    const dotSSH = path.join(os.homedir(), ".ssh");
    try {
      for (const pub of readdirSync(dotSSH).filter((f) => f.endsWith(".pub")).sort()) {
        const priv = path.join(dotSSH, pub.slice(0, -4));
        if (existsSync(priv)) opts.push(`IdentityFile="${priv}"`);
      }
    } catch {
      // No ~/.ssh: only Lima's own key.
    }
  }
  opts.push(
    "StrictHostKeyChecking=no",
    "UserKnownHostsFile=/dev/null",
    "NoHostAuthenticationForLocalhost=yes",
    "PreferredAuthentications=publickey",
    "Compression=no",
    "BatchMode=yes",
    "IdentitiesOnly=yes",
    "GSSAPIAuthentication=no",
  );
  if (atLeast(openSSHVersion(), 8, 1)) {
    opts.push(cpuHasAES() ? 'Ciphers="^aes128-gcm@openssh.com,aes256-gcm@openssh.com"' : 'Ciphers="^chacha20-poly1305@openssh.com"');
  }
  return opts;
}

/** Lima's SSHOpts: CommonOpts + user and ControlMaster settings. */
export function sshOpts(instDir: string, config: LimaYAML): string[] {
  const opts = [
    ...commonOpts(config),
    `User=${config.user?.name ?? ""}`,
    "ControlMaster=auto",
    `ControlPath="${path.join(instDir, filenames.SSHSock)}"`,
    "ControlPersist=yes",
  ];
  if (config.ssh?.forwardAgent) opts.push("ForwardAgent=yes");
  if (config.ssh?.forwardX11) opts.push("ForwardX11=yes");
  if (config.ssh?.forwardX11Trusted) opts.push("ForwardX11Trusted=yes");
  return opts;
}

/** Options as ssh arguments: `-F /dev/null -o K=V ...` (quotes removed: they are for ssh_config). */
export function sshArgs(opts: readonly string[]): string[] {
  const args = ["-F", "/dev/null"];
  for (const o of opts) args.push("-o", o.replace(/="(.*)"$/, "=$1"));
  return args;
}

/** Replaces the ControlMaster options for commands that must not create or use a master. */
export function disableControlMaster(opts: readonly string[]): string[] {
  return [...opts.filter((o) => !/^Control(Master|Path|Persist)=/.test(o)), "ControlMaster=no", "ControlPath=none", "ControlPersist=no"];
}

/** Where the guest's sshd is reached: 127.0.0.1 and a forwarded port, or the driver's own address. */
export interface SSHEndpoint {
  address: string;
  port: number;
}

export const DEFAULT_SSH_ADDRESS = "127.0.0.1";

/** The instance's SSH address: 127.0.0.1 unless its driver reported another (Lima: inst.SSHAddress). */
export function sshAddressOf(inst: { sshAddress?: string }): string {
  return inst.sshAddress || DEFAULT_SSH_ADDRESS;
}

export function sshConfigText(instName: string, opts: readonly string[], port: number, address = DEFAULT_SSH_ADDRESS): string {
  const lines = [
    "# This SSH config file can be passed to 'ssh -F'.",
    "# This file is created by Lima, but not used by Lima itself currently.",
    "# Modifications to this file will be lost on restarting the Lima instance.",
    `Host lima-${instName}`,
  ];
  for (const o of [...opts, `Hostname=${address}`, `Port=${port}`]) {
    if (/[\r\n]/.test(o)) throw new LimaError(`SSH option ${JSON.stringify(o)} contains a line break`);
    const eq = o.indexOf("=");
    lines.push(`  ${o.slice(0, eq)} ${o.slice(eq + 1)}`);
  }
  return `${lines.join("\n")}\n`;
}

export function writeSSHConfig(instDir: string, instName: string, config: LimaYAML, endpoint: SSHEndpoint): void {
  const file = path.join(instDir, filenames.SSHConfig);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, sshConfigText(instName, sshOpts(instDir, config), endpoint.port, endpoint.address), { mode: 0o600 });
  renameSync(tmp, file);
}

/** Quotes a word for a POSIX shell. */
export function shellQuote(s: string): string {
  if (s !== "" && /^[A-Za-z0-9_\-./=:,+@%]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Whether a ControlMaster is listening on `ssh.sock`. */
export function controlMasterAlive(instDir: string, instName: string): boolean {
  const sock = path.join(instDir, filenames.SSHSock);
  if (!existsSync(sock)) return false;
  try {
    execFileSync("ssh", ["-F", path.join(instDir, filenames.SSHConfig), "-O", "check", `lima-${instName}`], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
