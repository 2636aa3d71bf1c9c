// Driver-dependent defaults and checks (§10, §9.4) that drivers apply once configured, plus the
// vmType resolution callers run after loading.
import { LimaError } from "../util/errors.js";
import { logger } from "../log/logger.js";
import { q } from "../util/goquote.js";
import { isOlderThan } from "../version.js";
import { DEFAULT_VIRTIOFS_QUEUE_SIZE, defaultVMType, type FillContext } from "./defaults.js";
import type { LimaYAML, QEMUOpts } from "./types.js";

export const BUILTIN_VM_TYPES: readonly string[] = ["qemu", "vz", "wsl2"];

/**
 * Sets the default vmType when unset and checks that it names a built-in driver (accepted on any
 * host) or one of `registeredDrivers`.
 */
export function resolveVMType(y: LimaYAML, ctx: Pick<FillContext, "hostArch" | "hostOS">, registeredDrivers: readonly string[]): void {
  y.vmType ??= defaultVMType(y.arch ?? ctx.hostArch, ctx);
  if (BUILTIN_VM_TYPES.includes(y.vmType) || registeredDrivers.includes(y.vmType)) return;
  throw new LimaError(`vmType ${q(y.vmType)} is not a registered driver`);
}

type Warn = (message: string) => void;

/**
 * QEMU's FillConfig: vmType, VNC display, migration of the deprecated top-level `cpuType`,
 * the default mountType (9p; reverse-sshfs when 9p is unsupported, on Windows hosts, or for
 * instances created before v1.0) and the virtiofs queue size.
 */
export function driverDefaultsQEMU(
  config: LimaYAML,
  instanceVersion: string | undefined,
  hostOS: string,
  warn: Warn = (m) => logger.warn(m),
): void {
  config.vmType ??= "qemu";
  if (!config.video?.vnc?.display) config.video = { ...config.video, vnc: { ...config.video?.vnc, display: "127.0.0.1:0,to=9" } };
  migrateCPUType(config, warn);

  const unsupported = new Set(config.mountTypesUnsupported ?? []);
  if (hostOS === "windows") unsupported.add("9p"); // QEMU for Windows has no 9p
  if (config.mountType === undefined || (config.mountType as string) === "" || (config.mountType as string) === "default") {
    config.mountType = unsupported.has("9p") || isOlderThan(instanceVersion, "1.0.0") ? "reverse-sshfs" : "9p";
  }
  if (config.mountType === "virtiofs") {
    for (const mount of config.mounts ?? []) {
      if (mount.virtiofs?.queueSize === undefined) mount.virtiofs = { ...mount.virtiofs, queueSize: DEFAULT_VIRTIOFS_QUEUE_SIZE };
    }
  }
  if (unsupported.has(config.mountType)) throw new LimaError(`mount type ${q(config.mountType)} is explicitly unsupported`);
}

function migrateCPUType(config: LimaYAML, warn: Warn): void {
  const topLevel = config.cpuType;
  if (!topLevel || Object.keys(topLevel).length === 0) return;
  warn("The top-level `cpuType` field is deprecated and will be removed in a future release. Please migrate to `vmOpts.qemu.cpuType`.");
  const qemu: QEMUOpts = { ...(config.vmOpts?.qemu as QEMUOpts | undefined) };
  const cpuType = { ...qemu.cpuType };
  for (const [arch, value] of Object.entries(topLevel)) {
    if (value === "") continue;
    const existing = cpuType[arch];
    if (existing !== undefined && existing !== "" && existing !== value) {
      warn(`Conflicting cpuType for arch ${q(arch)}: top-level=${q(value)}, vmOpts.qemu=${q(existing)}; using vmOpts.qemu value`);
      continue;
    }
    cpuType[arch] = value;
  }
  delete config.cpuType;
  config.vmOpts = { ...config.vmOpts, qemu: { ...qemu, cpuType } };
}

const QEMU_MOUNT_TYPES: Readonly<Record<string, readonly string[]>> = {
  linux: ["reverse-sshfs", "9p", "virtiofs"],
  darwin: ["reverse-sshfs", "9p"],
  windows: ["reverse-sshfs"],
};

/** QEMU's driver validation: mount type per host OS and `vmOpts.qemu.minimumVersion`. */
export function validateQEMUConfig(config: LimaYAML, hostOS: string): void {
  const mountType = config.mountType;
  if (mountType !== undefined) {
    if (config.mountTypesUnsupported?.includes(mountType)) throw new LimaError(`mount type ${q(mountType)} is explicitly unsupported`);
    const allowed = QEMU_MOUNT_TYPES[hostOS] ?? ["reverse-sshfs", "9p"];
    if (!allowed.includes(mountType)) throw new LimaError(qemuMountTypeError(hostOS, mountType));
  }
  const minimumVersion = (config.vmOpts?.qemu as QEMUOpts | undefined)?.minimumVersion;
  if (minimumVersion !== undefined) {
    const problem = semverProblem(minimumVersion);
    if (problem) throw new LimaError(`field \`vmOpts.qemu.minimumVersion\` must be a semvar value, got ${q(minimumVersion)}: ${problem}`);
  }
}

function qemuMountTypeError(hostOS: string, mountType: string): string {
  switch (hostOS) {
    case "linux":
      return `field \`mountType\` must be one of [reverse-sshfs 9p virtiofs] for QEMU driver on Linux, got ${q(mountType)}`;
    case "darwin":
      return `field \`mountType\` must be \`reverse-sshfs\` or \`9p\` for QEMU driver on macOS, got ${q(mountType)}`;
    case "windows":
      return `field \`mountType\` must be \`reverse-sshfs\` for QEMU driver on Windows, got ${q(mountType)}`;
    default:
      return `field \`mountType\` must be \`reverse-sshfs\` or \`9p\` for QEMU driver on ${hostOS}, got ${q(mountType)}`;
  }
}

/** coreos/go-semver's complaint about `version`, or undefined when it parses. */
export function semverProblem(version: string): string | undefined {
  let rest = version;
  const plus = rest.indexOf("+");
  if (plus >= 0) rest = rest.slice(0, plus);
  const dash = rest.indexOf("-");
  if (dash >= 0) rest = rest.slice(0, dash);
  const parts = rest.split(".");
  if (parts.length < 3) return `${rest} is not in dotted-tri format`;
  const [major = "", minor = "", patch = ""] = [parts[0], parts[1], parts.slice(2).join(".")];
  for (const part of [major, minor, patch]) {
    if (!/^[+-]?\d+$/.test(part)) return `strconv.ParseInt: parsing ${JSON.stringify(part)}: invalid syntax`;
  }
  return undefined;
}
