// Stopping instances: forcibly (kill everything, clear runtime files) and gracefully (ask the
// host agent with SIGINT, follow its events until it has exited).
import { readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";
import { InUseBy, TmpFileSuffixes } from "../store/filenames.js";
import { limaDisksDir } from "../store/dirnames.js";
import type { Instance } from "../store/instance.js";
import { isProcessAlive } from "../store/pidfile.js";

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
export function stopForcibly(inst: Instance): void {
  kill(inst.driverPID ?? 0, `${inst.vmType} driver`);
  kill(inst.hostAgentPID ?? 0, "host agent");
  for (const disk of inst.config?.additionalDisks ?? []) {
    rmSync(path.join(limaDisksDir(), disk.name, InUseBy), { force: true });
  }
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
