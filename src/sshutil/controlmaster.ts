// The per-instance SSH ControlMaster (`ssh.sock`): ending it so the next ssh opens a fresh
// connection (`limactl shell --reconnect`), and clearing a socket whose master was killed.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import type { Instance } from "../store/instance.js";
import * as filenames from "../store/filenames.js";
import { LimaError } from "../util/errors.js";
import { goQuote } from "../util/goquote.js";

/** How long to wait for a master to accept on its socket, or to answer `ssh -O exit`. */
const CONTROL_SOCKET_TIMEOUT_MS = 3000;
const EXIT_MASTER_TIMEOUT_MS = 10_000;

export function controlSocketPath(instDir: string): string {
  return path.join(instDir, filenames.SSHSock);
}

export function controlMasterExists(instDir: string): boolean {
  return existsSync(controlSocketPath(instDir));
}

/** Whether a master accepts connections on the socket; one left by a killed master does not. */
export function controlMasterListening(instDir: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.createConnection(controlSocketPath(instDir));
    const done = (listening: boolean) => {
      clearTimeout(timer);
      conn.destroy();
      resolve(listening);
    };
    const timer = setTimeout(() => done(false), CONTROL_SOCKET_TIMEOUT_MS);
    conn.once("connect", () => done(true));
    conn.once("error", () => done(false));
  });
}

/** Removes the socket unless a master still listens on it; true when a stale socket was removed. */
export async function removeStaleControlMaster(instDir: string): Promise<boolean> {
  if (await controlMasterListening(instDir)) return false;
  const existed = controlMasterExists(instDir);
  rmSync(controlSocketPath(instDir), { force: true });
  return existed;
}

/** `ssh -F ssh.config -O exit -p PORT lima-NAME`, as Lima's sshocker runs it. */
export function exitControlMaster(inst: Instance): void {
  const port = inst.sshLocalPort ?? 0;
  const config = inst.sshConfigFile ?? path.join(inst.dir, filenames.SSHConfig);
  const res = spawnSync("ssh", ["-F", config, "-O", "exit", "-p", String(port), inst.hostname], { encoding: "utf8", timeout: EXIT_MASTER_TIMEOUT_MS });
  if (res.status === 0) return;
  const cause = res.error?.message ?? (res.status === null ? `signal: ${res.signal}` : `exit status ${res.status}`);
  throw new LimaError(`failed to execute \`ssh -O exit -p ${port} ${inst.hostname}\`, out=${goQuote(`${res.stdout}${res.stderr}`)}: ${cause}`);
}
