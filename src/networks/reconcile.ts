// Lima's networks reconcile: after start/stop/delete, the user-v2 daemons run exactly for the
// networks that a running instance (or the one being started) uses. Non-user-v2 networks are
// socket_vmnet (macOS) and never valid on this host, so only user-v2 daemons are managed here.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { logger } from "../log/logger.js";
import { readPidFile } from "../store/pidfile.js";
import { inspect, instanceNames } from "../store/store.js";
import { errorMessage, isErrno, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { sleep } from "../util/sleep.js";
import { loadNetworksConfig, MODE_USER_V2, type NetworksConfig } from "./config.js";
import { subnetOf, subnetString } from "./ipv4.js";
import { usernetDir, usernetLog, usernetPidFile, usernetSock } from "./usernet/paths.js";

const POLL_MS = 100;
/** How long a new daemon may take to listen on its QEMU socket. */
const DAEMON_START_TIMEOUT_MS = 15_000;
/** How long a daemon may take to exit after SIGINT before it gets SIGKILL (Lima: 5 s). */
const DAEMON_STOP_TIMEOUT_MS = 5_000;

/** Names of the networks in use: by running instances, and by `newInst`, about to start. */
async function activeNetworks(cfg: NetworksConfig, newInst: string | undefined): Promise<{ active: Set<string>; skipped: boolean }> {
  const active = new Set<string>();
  let skipped = false;
  for (const name of instanceNames()) {
    let inst;
    try {
      inst = await inspect(name);
    } catch (err) {
      logger.warn(`Skipping instance ${q(name)} during network reconcile: ${errorMessage(err)}`);
      skipped = true;
      continue;
    }
    if (inst.status !== "Running" && name !== newInst) continue;
    for (const nw of inst.config?.networks ?? []) {
      if (!nw.lima) continue;
      if (cfg.networks[nw.lima] === undefined) {
        logger.error(`network ${q(nw.lima)} (used by instance ${q(name)}) is missing from networks.yaml`);
        continue;
      }
      active.add(nw.lima);
    }
  }
  return { active, skipped };
}

export async function reconcileNetworks(newInst?: string): Promise<void> {
  const cfg = loadNetworksConfig();
  const { active, skipped } = await activeNetworks(cfg, newInst);
  for (const [name, nw] of Object.entries(cfg.networks)) {
    if (nw.mode !== MODE_USER_V2) continue;
    if (active.has(name)) await startUsernet(cfg, name);
    else if (skipped) logger.debug(`Not stopping network ${q(name)}: an instance could not be inspected`);
    else await stopUsernet(name);
  }
}

function limactlEntry(): string {
  return process.argv[1] ?? fileURLToPath(import.meta.url);
}

export async function startUsernet(cfg: NetworksConfig, name: string): Promise<void> {
  const dir = usernetDir(name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const pidFile = usernetPidFile(name);
  if (readPidFile(pidFile) > 0) return;
  const nw = cfg.networks[name];
  if (nw?.gateway === undefined) throw new LimaError(`network ${q(name)} has no gateway in networks.yaml`);
  const qemuSock = usernetSock(name, "qemu");
  const args = [
    ...process.execArgv, limactlEntry(), "usernet", "-p", pidFile, "-e", usernetSock(name, "ep"),
    "--listen-qemu", qemuSock, "--subnet", subnetString(subnetOf(nw.gateway, nw.netmask)),
  ];
  for (const stream of ["stdout", "stderr"] as const) rmSync(usernetLog(name, stream), { force: true });
  const out = openSync(usernetLog(name, "stdout"), "w", 0o644);
  const err = openSync(usernetLog(name, "stderr"), "w", 0o644);
  logger.debug(`Starting usernet network: ${args.join(" ")}`);
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", out, err] });
  closeSync(out);
  closeSync(err);
  child.unref();
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  while (!existsSync(qemuSock)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new LimaError(`failed to run ${q(args.join(" "))}: the usernet daemon did not listen on ${q(qemuSock)} (Hint: check ${dir}/usernet.*.log)`);
    }
    await sleep(POLL_MS);
  }
}

/** A process that exited meanwhile is fine. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if (!isErrno(err, "ESRCH")) throw err;
  }
}

export async function stopUsernet(name: string): Promise<void> {
  const pidFile = usernetPidFile(name);
  const pid = readPidFile(pidFile);
  if (pid === 0) return;
  logger.debug("Stopping usernet daemon");
  signal(pid, "SIGINT");
  const deadline = Date.now() + DAEMON_STOP_TIMEOUT_MS;
  while (readPidFile(pidFile) > 0) {
    if (Date.now() > deadline) {
      logger.info("usernet network still running after 5 seconds. Attempting to forcibly kill");
      signal(pid, "SIGKILL");
      rmSync(pidFile, { force: true });
      return;
    }
    await sleep(POLL_MS);
  }
}
