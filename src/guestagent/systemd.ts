// `lima-guestagent install-systemd`: the system unit that runs `lima-guestagent daemon`, written
// only when its text changed, then (re)started the way Lima does.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { logger } from "../log/logger.js";

export const SYSTEMD_UNIT_PATH = "/etc/systemd/system/lima-guestagent.service";
const SERVICE = "lima-guestagent.service";

export interface TransportFlags {
  vsockPort: number;
  virtioPort: string;
  socketOwner: number;
  debug: boolean;
}

/** The daemon's arguments in Lima's order; only the ones that differ from the defaults. */
export function daemonArgs(flags: TransportFlags): string[] {
  const args: string[] = [];
  if (flags.vsockPort !== 0) args.push(`--vsock-port ${flags.vsockPort}`);
  if (flags.virtioPort !== "") args.push(`--virtio-port ${flags.virtioPort}`);
  if (flags.socketOwner > 0) args.push(`--socket-owner ${flags.socketOwner}`);
  if (flags.debug) args.push("--debug");
  return args;
}

export function systemdUnit(executable: string, flags: TransportFlags): string {
  return [
    "[Unit]",
    "Description=lima-guestagent",
    "",
    "[Service]",
    `ExecStart=${executable} daemon ${daemonArgs(flags).join(" ")} --runtime-dir="%t/%N"`,
    "Type=simple",
    "Restart=on-failure",
    "OOMPolicy=continue",
    "OOMScoreAdjust=-500",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The systemctl calls after writing the unit (none when nothing changed and the agent was not updated). */
export function systemctlCalls(unitChanged: boolean, agentUpdated: boolean): string[][] {
  if (!unitChanged && !agentUpdated) return [];
  return [
    ...(unitChanged ? [["daemon-reload"]] : []),
    ["enable", SERVICE],
    ["try-restart", SERVICE], // restarts a running agent (the binary may be new), else nothing
    ["start", SERVICE],
  ].map((args) => ["--system", ...args]);
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function systemctl(args: string[]): void {
  execFileSync("systemctl", args, { stdio: ["ignore", "inherit", "inherit"] });
}

export function installSystemd(executable: string, flags: TransportFlags, agentUpdated: boolean, unitPath = SYSTEMD_UNIT_PATH, run = systemctl): void {
  const unit = systemdUnit(executable, flags);
  const existing = readIfExists(unitPath);
  const unitChanged = existing !== unit;
  if (unitChanged) {
    if (existing !== undefined) logger.info(`File \`${unitPath}\` needs update`);
    mkdirSync(path.dirname(unitPath), { recursive: true, mode: 0o755 });
    writeFileSync(unitPath, unit, { mode: 0o644 });
    logger.info(`Written file \`${unitPath}\``);
  } else {
    logger.info(`File \`${unitPath}\` is up-to-date`);
  }
  const calls = systemctlCalls(unitChanged, agentUpdated);
  if (calls.length === 0) {
    logger.info(`${SERVICE} already up-to-date`);
    return;
  }
  for (const args of calls) {
    logger.info(`Executing: systemctl ${args.join(" ")}`);
    run(args);
  }
  logger.info("Done");
}
