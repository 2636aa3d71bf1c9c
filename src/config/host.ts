// Host facts the defaults depend on, read from the real machine (kept apart so tests can inject them).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { limaHome as resolveLimaHome } from "../store/dirnames.js";
import * as filenames from "../store/filenames.js";
import { logger } from "../log/logger.js";
import { isErrno } from "../util/errors.js";
import { q } from "../util/goquote.js";
import { VERSION } from "../version.js";
import type { FillContext, HostUser } from "./defaults.js";
import { lstatExists } from "../util/fsutil.js";

const GO_ARCH: Readonly<Record<string, string>> = {
  x64: "x86_64",
  arm64: "aarch64",
  arm: "armv7l",
  ppc64: "ppc64le",
  riscv64: "riscv64",
  s390x: "s390x",
};

const GO_OS: Readonly<Record<string, string>> = { win32: "windows" };

/** The host architecture in Lima's names (`x86_64`, `aarch64`, …). */
export function hostArch(): string {
  return GO_ARCH[process.arch] ?? process.arch;
}

/** The host OS as Go's GOOS (`linux`, `darwin`, `windows`, …). */
export function hostOS(): string {
  return GO_OS[process.platform] ?? process.platform;
}

interface StableFacts {
  cpus: number;
  memoryBytes: number;
  user: Omit<HostUser, "home">;
  timezone: string | undefined;
}

let cachedStableFacts: StableFacts | undefined;

/** Facts that cannot change while limactl runs, read once per process: `limactl ls` loads many instances. */
function stableFacts(): StableFacts {
  if (cachedStableFacts) return cachedStableFacts;
  const info = os.userInfo();
  cachedStableFacts = {
    cpus: os.availableParallelism(),
    memoryBytes: os.totalmem(),
    user: { name: info.username, uid: info.uid, comment: gecosName(info.uid) },
    timezone: hostTimeZone(),
  };
  return cachedStableFacts;
}

/**
 * Host facts for `filePath` (`$INST/lima.yaml`, or a pseudo path such as `$LIMA_HOME/<name>.yaml`).
 * `known.instanceVersion`: the instance's Lima version when the caller has it (instanceVersionOf).
 */
export function hostContext(filePath: string, limaHome?: string, known?: { instanceVersion: string | undefined }): FillContext {
  const instDir = path.dirname(filePath);
  const { cpus, memoryBytes, user, timezone } = stableFacts();
  return {
    hostArch: hostArch(),
    hostOS: hostOS(),
    cpus,
    memoryBytes,
    user: { ...user, home: os.homedir() },
    instanceVersion: known ? known.instanceVersion : existingLimaVersion(instDir),
    timezone,
    instDir,
    instName: path.basename(instDir),
    limaHome: limaHome ?? resolveLimaHome(),
    tempDir: process.env.TMPDIR || "/tmp",
    machineId: machineId(),
  };
}

/**
 * The Lima version that created the instance in `instDir`: the content of `lima-version`;
 * undefined for an existing instance without that file (created before v0.20); VERSION for a new one.
 */
export function existingLimaVersion(instDir: string): string | undefined {
  if (!isExistingInstanceDir(instDir)) return VERSION;
  const file = path.join(instDir, filenames.LimaVersion);
  try {
    return readFileSync(file, "utf8").trim();
  } catch (err) {
    if (isErrno(err, "ENOENT")) return undefined;
    logger.warn(`Failed to read ${q(file)}`, { error: err });
    return VERSION;
  }
}

/**
 * Files that make a directory an instance: lima.yaml alone does not, as it is written before the
 * instance is initialised. Most likely present first: every instance since Lima 2.1 has a disk.
 */
export const INSTANCE_MARKERS: readonly string[] = [
  filenames.Disk,
  filenames.DiffDisk,
  filenames.BaseDisk,
  filenames.Image,
  filenames.CIDataISO,
  filenames.HostAgentStdoutLog,
  filenames.HostAgentStderrLog,
  "vz-identifier",
];

export function isExistingInstanceDir(dir: string): boolean {
  return INSTANCE_MARKERS.some((name) => lstatExists(path.join(dir, name)));
}

/** existingLimaVersion from what the caller found: whether a marker exists and the `lima-version` text. */
export function instanceVersionOf(existing: boolean, limaVersion: string | undefined): string | undefined {
  return existing ? limaVersion : VERSION;
}

/** The user's full name from the GECOS field (up to the first comma), as Go's os/user reports it. */
function gecosName(uid: number): string {
  if (process.platform === "darwin") return commandOutput("id", ["-F"]);
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[2] === String(uid)) return (fields[4] ?? "").split(",")[0] ?? "";
    }
  } catch {
    // no passwd file: no comment
  }
  return "";
}

function commandOutput(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

/** `/etc/timezone`, else the `/etc/localtime` link target below the zoneinfo root; undefined if neither works. */
export function hostTimeZone(): string | undefined {
  if (process.platform === "win32") return "";
  try {
    const tz = readFileSync("/etc/timezone", "utf8").trim();
    if (tz !== "") return tz;
  } catch {
    // fall through to /etc/localtime
  }
  try {
    return zoneFromPath(realpathSync("/etc/localtime"));
  } catch {
    return undefined;
  }
}

/** `/usr/share/zoneinfo/Europe/Berlin` -> `Europe/Berlin`: relative to the nearest ancestor holding `Etc/UTC`. */
export function zoneFromPath(zoneinfoFile: string): string | undefined {
  for (let dir = path.dirname(zoneinfoFile); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Etc", "UTC"))) return path.relative(dir, zoneinfoFile);
  }
  return undefined;
}

let cachedMachineId: string | undefined;

/** systemd/dbus machine-id, else the host name (macOS: IOPlatformUUID). */
export function machineId(): string {
  cachedMachineId ??= readMachineId() || os.hostname();
  return cachedMachineId;
}

function readMachineId(): string {
  if (process.platform === "darwin") {
    const out = commandOutput("/usr/sbin/ioreg", ["-rd1", "-c", "IOPlatformExpertDevice"]);
    return /"IOPlatformUUID" = "([^"]+)"/.exec(out)?.[1] ?? "";
  }
  for (const file of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      // try the next candidate
    }
  }
  return "";
}
