// Stopping instances: forcibly (kill everything, clear runtime files) and gracefully (ask the
// host agent with SIGINT, follow its events until it has exited).
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { stopDriverServers } from "../driver/external/process.js";
import { logger } from "../log/logger.js";
import { releaseDiskLocks } from "../store/disk.js";
import { TmpFileSuffixes } from "../store/filenames.js";
import type { Instance } from "../store/instance.js";
import { isProcessAlive } from "../store/pidfile.js";
import { inspect } from "../store/store.js";
import { LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { watchHostAgent } from "./start.js";

function kill(pid: number, what: string): void {
  if (!pid || !isProcessAlive(pid)) return;
  logger.info(`Sending SIGKILL to the ${what} process ${pid}`);
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Lima's StopForcibly: nothing is asked, everything is killed, runtime files go. */
export async function stopForcibly(inst: Instance): Promise<void> {
  kill(inst.driverPID ?? 0, `${inst.vmType} driver`);
  await stopDriverServers(inst.dir, { force: true });
  kill(inst.hostAgentPID ?? 0, "host agent");
  releaseDiskLocks(inst);
  let entries: string[] = [];
  try {
    entries = readdirSync(inst.dir);
  } catch {
    return;
  }
  logger.info(`Removing *.pid *.sock *.tmp under ${JSON.stringify(inst.dir)}`);
  for (const entry of entries) {
    if (!TmpFileSuffixes.some((s) => entry.endsWith(s))) continue;
    const file = path.join(inst.dir, entry);
    logger.info(`Removing ${JSON.stringify(file)}`);
    rmSync(file, { force: true, recursive: true });
  }
}

/** Lima's StopGracefully: SIGINT to the host agent, wait for `exiting`, then for `Stopped`. */
export async function stopGracefully(inst: Instance, isRestart = false): Promise<void> {
  if (inst.status !== "Running") {
    if (isRestart) {
      logger.warn("The instance is not running, continuing with the restart");
      return;
    }
    throw new LimaError(`expected status ${q("Running")}, got ${q(inst.status)} (maybe use \`limactl stop -f\`?)`);
  }
  const haPid = inst.hostAgentPID ?? 0;
  logger.info(`Sending SIGINT to hostagent process ${haPid}`);
  process.kill(haPid, "SIGINT");
  logger.info("Waiting for the host agent and the driver processes to shut down");
  const outcome = await watchHostAgent(inst, 190_000, haPid, (ev) => ev.status.exiting === true, true);
  if (outcome === "timeout") throw new LimaError("did not receive an event with the \"exiting\" status");
  const deadline = Date.now() + 180_000;
  for (;;) {
    const now = await inspect(inst.name);
    if (now.status === "Stopped") break;
    if (Date.now() > deadline) throw new LimaError(`expected status ${q("Stopped")}, got ${q(now.status)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  logger.info(`The instance ${inst.name} has shut down`);
}
