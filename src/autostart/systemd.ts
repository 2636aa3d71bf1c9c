// Start at login on Linux, as Lima's pkg/autostart/systemd: a systemd user unit
// `lima-vm@INSTANCE.service` in $XDG_CONFIG_HOME/systemd/user (also when root: Lima writes no
// system unit), enabled with `systemctl --user enable`. Without systemd Lima says autostart is not
// supported; so do we.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { errorMessage, LimaError } from "../util/errors.js";
import { q } from "../util/goquote.js";

/** systemd's own test for "booted with systemd" (sd_booted, go-systemd's IsRunningSystemd). */
const SYSTEMD_BOOTED_MARKER = "/run/systemd/system";

export const NOT_SUPPORTED_MESSAGE = "autostart is not supported on linux";

/** Lima's template (pkg/autostart/systemd/lima-vm@INSTANCE.service): the instance is `%i`. */
const UNIT_TEMPLATE = `[Unit]
Description=Lima - Linux virtual machines, with a focus on running containers.
Documentation=man:lima(1)

[Service]
ExecStart={{.Binary}} start %i --foreground
WorkingDirectory=%h
Type=simple
TimeoutSec=10
Restart=on-failure

[Install]
WantedBy=default.target
`;

export function unitName(instName: string): string {
  return `lima-vm@${instName}.service`;
}

export function unitPath(instName: string, env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME || path.join(env.HOME ?? "", ".config");
  return path.join(configHome, "systemd", "user", unitName(instName));
}

/** A word for ExecStart: systemd splits on spaces and takes C-style escapes inside double quotes. */
function execWord(word: string): string {
  if (/^[A-Za-z0-9_\-./+@:=,]+$/.test(word)) return word;
  return `"${word.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The unit file. `binary`: the command that runs limactl, as words; Lima's is its own executable.
 * Ours names node too: a user unit's PATH need not hold the node that `#!/usr/bin/env node` finds.
 */
export function renderUnit(binary: readonly string[]): string {
  return UNIT_TEMPLATE.replace("{{.Binary}}", binary.map(execWord).join(" "));
}

/** This limactl: the node running it and the entry script (`bin/limactl`). */
export function selfCommand(): string[] {
  return [process.execPath, process.argv[1] ?? ""];
}

export function isRunningSystemd(marker = process.env.LIMA_TS_SYSTEMD_BOOTED_MARKER || SYSTEMD_BOOTED_MARKER): boolean {
  return existsSync(marker);
}

function assertSupported(): void {
  if (!isRunningSystemd()) throw new LimaError(NOT_SUPPORTED_MESSAGE);
}

export function isRegistered(instName: string): boolean {
  assertSupported();
  return existsSync(unitPath(instName));
}

/** Runs `systemctl ARGS` with its output on ours; the error reads as Go's exec error. */
function systemctl(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("systemctl", args, { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", (err: NodeJS.ErrnoException) => {
      reject(new LimaError(err.code === "ENOENT" ? 'exec: "systemctl": executable file not found in $PATH' : err.message));
    });
    child.on("exit", (code, signal) => {
      if (code === 0) resolve();
      else reject(new LimaError(signal ? `signal: ${signal}` : `exit status ${code}`));
    });
  });
}

/** Writes the unit and enables it (Lima: no daemon-reload; `enable` reads the new file). */
export async function register(instName: string): Promise<void> {
  assertSupported();
  const file = unitPath(instName);
  try {
    mkdirSync(path.dirname(file), { recursive: true });
  } catch (err) {
    throw new LimaError(`failed to create the directory for the autostart entry for instance ${q(instName)}: ${errorMessage(err)}`);
  }
  try {
    writeFileSync(file, renderUnit(selfCommand()), { mode: 0o644 });
  } catch (err) {
    throw new LimaError(`failed to write the autostart entry for instance ${q(instName)}: ${errorMessage(err)}`);
  }
  await systemctl(["--user", "enable", unitName(instName)]);
}

/** Disables and removes the unit; nothing to do when there is none. */
export async function unregister(instName: string): Promise<void> {
  if (!isRegistered(instName)) return;
  try {
    await systemctl(["--user", "disable", unitName(instName)]);
  } catch (err) {
    throw new LimaError(`failed to disable the autostart entry for instance ${q(instName)}: ${errorMessage(err)}`);
  }
  try {
    rmSync(unitPath(instName));
  } catch (err) {
    throw new LimaError(`failed to remove the autostart entry for instance ${q(instName)}: ${errorMessage(err)}`);
  }
}
